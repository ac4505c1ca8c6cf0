#include "rio/linux/recvmmsg_engine.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "rio/linux/udp_socket.h"

namespace ringest::rio {
namespace {
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(ucred));  // SO_RXQ_OVFL, SCM_CREDENTIALS
constexpr long kLingerNs = 2'000'000;  // after a partial harvest (see the header)
}

RecvmmsgEngine::RecvmmsgEngine(const EngineOptions& opts)
    : opts_(opts), pool_(opts.slot_bytes, std::max<uint32_t>(opts.slots, 1)) {
  uint32_t batch = std::max<uint32_t>(opts_.batch, 1);
  msgs_.resize(batch);
  iov_.resize(batch);
  chosen_.resize(batch);
  names_.resize(batch);
  control_.resize(batch * kControlBytes);
  out_.reserve(pool_.slots());
}

Status RecvmmsgEngine::add_socket(const SocketSpec& spec, BoundSocket& bound) {
  return socks_.add(spec, bound);
}

Status RecvmmsgEngine::start() {
  if (!pool_.ok()) return Status::from_errno(ENOMEM, "buffer pool");
  free_.reserve(pool_.slots());
  for (uint32_t s = pool_.slots(); s-- > 0;) free_.push_back(s);
  socks_.resume_taken_over();
  return {};
}

uint32_t RecvmmsgEngine::poll(DatagramHandler& handler, int timeout_ms) {
  out_.clear();
  if (linger_) {
    timespec ts{0, kLingerNs};
    nanosleep(&ts, nullptr);
  }
  pollfd fds[linux_udp::SocketSet::kMax];
  for (uint16_t s = 0; s < socks_.size(); ++s) fds[s] = {socks_.fd(s), POLLIN, 0};
  // While busy, go straight to recvmmsg: a readable socket is the likely case.
  int ready = busy_ ? static_cast<int>(socks_.size()) : ::poll(fds, socks_.size(), timeout_ms);
  int64_t now = wall_ns();
  if (ready > 0) {
    for (uint16_t s = 0; s < socks_.size(); ++s) {
      if (busy_ || (fds[s].revents & POLLIN)) receive_from(s, now);
    }
  }
  busy_ = !out_.empty();
  linger_ = busy_ && out_.size() < msgs_.size() && timeout_ms > 0;
  if (!busy_) {
    socks_.refresh_drops();
    return 0;
  }
  probe_.wakeups.add();
  probe_.slots_in_use.add(out_.size());
  handler.on_datagrams(out_);
  return static_cast<uint32_t>(out_.size());
}

void RecvmmsgEngine::receive_from(uint16_t sock, int64_t now_ns) {
  if (free_.empty()) {
    probe_.pool_exhausted.add();
    socks_.note_pool_exhausted();
    return;
  }
  const uint32_t want = std::min<uint32_t>(static_cast<uint32_t>(msgs_.size()), free_.size());
  for (uint32_t i = 0; i < want; ++i) {
    uint32_t slot = free_[free_.size() - 1 - i];
    chosen_[i] = slot;
    iov_[i] = {pool_.slot(slot), pool_.slot_bytes()};
    msghdr& h = msgs_[i].msg_hdr;
    h = {};
    h.msg_name = &names_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iov_[i];
    h.msg_iovlen = 1;
    h.msg_control = &control_[i * kControlBytes];
    h.msg_controllen = kControlBytes;
  }
  int n = recvmmsg(socks_.fd(sock), msgs_.data(), want, MSG_DONTWAIT, nullptr);
  SocketProbe& sp = socks_.probe(sock);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) sp.errors.add();
    return;
  }
  // Only the first n descriptors were filled; their slots leave the free list.
  free_.resize(free_.size() - static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    uint32_t slot = chosen_[i];
    msghdr& h = msgs_[i].msg_hdr;
    ucred cred;
    const bool have_cred = socks_.read_control(sock, CMSG_FIRSTHDR(&h), [&](cmsghdr* c) { return CMSG_NXTHDR(&h, c); }, cred);
    if (h.msg_flags & MSG_TRUNC) {
      sp.truncated.add();
      free_.push_back(slot);
      continue;
    }
    socks_.accepted(sock, pool_.meta(slot), reinterpret_cast<sockaddr*>(&names_[i]), have_cred ? &cred : nullptr, 0,
                    msgs_[i].msg_len, now_ns);
    out_.push_back(slot);
  }
}

void RecvmmsgEngine::release(std::span<const uint32_t> slots) {
  free_.insert(free_.end(), slots.begin(), slots.end());
  probe_.slots_in_use.set(probe_.slots_in_use.get() - slots.size());
}

}  // namespace ringest::rio
