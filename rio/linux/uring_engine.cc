#include "rio/linux/uring_engine.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "rio/probe_delivery.h"
#include "rio/linux/udp_socket.h"
#include "rio/linux/uring_ring.h"

namespace ringest::rio {
namespace {

using linux_uring::init_ring;
using linux_uring::next_pow2;

constexpr uint64_t kCancelTag = ~uint64_t{0};
constexpr uint16_t kBufferGroup = 0;
constexpr uint32_t kMaxRingEntries = 32768;  // the kernel's limit for a buffer ring
constexpr int64_t kDropRefreshNs = 100'000'000;

uint32_t clamp_slots(uint32_t slots) { return std::clamp<uint32_t>(slots, 1, kMaxRingEntries); }

}  // namespace

UringEngine::UringEngine(const EngineOptions& opts)
    : opts_(opts), pool_(opts.slot_bytes, clamp_slots(opts.slots)) {
  out_.reserve(pool_.slots());
}

UringEngine::~UringEngine() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

Status UringEngine::add_socket(const SocketSpec& spec, BoundSocket& bound) {
  Status st = socks_.add(spec, bound);
  if (st) armed_.push_back(false);
  return st;
}

Status UringEngine::start() {
  if (!pool_.ok()) return Status::from_errno(ENOMEM, "buffer pool");
  if (Status st = init_ring(ring_, next_pow2(pool_.slots() + 2u * socks_.size() + 64)); !st) return st;
  ring_ready_ = true;

  if (Status st = br_.setup(ring_, pool_.slots(), kBufferGroup); !st) return st;
  for (uint32_t s = 0; s < pool_.slots(); ++s) give_to_ring(s);
  br_.publish();

  // The kernel lays out each slot as header, name (msg_namelen bytes),
  // control, payload. Rounding the name up to 8 bytes keeps the cmsghdr
  // that follows it aligned.
  msg_.msg_namelen = (sizeof(sockaddr_in6) + 7) & ~size_t{7};
  msg_.msg_controllen = CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(ucred));  // SO_RXQ_OVFL, SCM_CREDENTIALS
  if (pool_.slot_bytes() <= sizeof(io_uring_recvmsg_out) + msg_.msg_namelen + msg_.msg_controllen)
    return Status::invalid("slot_bytes too small for the recvmsg header");
  socks_.resume_taken_over();
  for (uint16_t s = 0; s < socks_.size(); ++s) arm(s);
  if (int r = io_uring_submit(&ring_); r < 0) return Status::from_errno(-r, "io_uring_submit");
  return {};
}

void UringEngine::give_to_ring(uint32_t slot) {
  br_.add(pool_.slot(slot), pool_.slot_bytes(), static_cast<uint16_t>(slot));
}

void UringEngine::arm(uint16_t sock) {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (!sqe) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
    if (!sqe) return;  // tried again at the next poll
  }
  io_uring_prep_recvmsg_multishot(sqe, socks_.fd(sock), &msg_, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, sock);
  armed_[sock] = true;
  probe_.rearms.add();
}

uint32_t UringEngine::poll(DatagramHandler& handler, int timeout_ms) {
  out_.clear();
  // Busy: wait for a batch, but no longer than 2 ms, so each wakeup (of this
  // thread and of the shard it hands the harvest to) pays for many datagrams:
  // on this kind of VM a wakeup costs more than parsing and storing a
  // datagram. Idle: wake on the first one.
  unsigned wait_nr = busy_ ? opts_.batch : 1;
  int64_t wait_ns = busy_ ? 2'000'000 : int64_t{timeout_ms} * 1'000'000;
  __kernel_timespec ts{wait_ns / 1'000'000'000, wait_ns % 1'000'000'000};
  io_uring_cqe* first = nullptr;
  io_uring_submit_and_wait_timeout(&ring_, &first, wait_nr, &ts, nullptr);
  int64_t now = wall_ns();
  harvest(now);
  busy_ = !out_.empty();

  br_.publish();
  if (br_.in_ring() > 0)
    for (uint16_t s = 0; s < socks_.size(); ++s)
      if (!armed_[s]) arm(s);
  if (!busy_) {
    int64_t mono = mono_ns();
    if (mono >= next_drop_refresh_ns_) {
      socks_.refresh_drops();
      next_drop_refresh_ns_ = mono + kDropRefreshNs;
    }
    return 0;
  }
  probe_.wakeups.add();
  probe_.slots_in_use.add(out_.size());
  handler.on_datagrams(out_);
  return static_cast<uint32_t>(out_.size());
}

void UringEngine::harvest(int64_t now_ns) {
  io_uring_cqe* cqes[256];
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 256);
    if (n == 0) return;
    for (unsigned i = 0; i < n; ++i) handle(cqes[i], now_ns);
    io_uring_cq_advance(&ring_, n);
  }
}

void UringEngine::handle(const io_uring_cqe* cqe, int64_t now_ns) {
  if (cqe->user_data == kCancelTag) return;
  auto s = static_cast<uint16_t>(cqe->user_data);
  if (!(cqe->flags & IORING_CQE_F_MORE)) armed_[s] = false;
  SocketProbe& sp = socks_.probe(s);
  if (cqe->res < 0) {
    if (cqe->res == -ENOBUFS) {
      probe_.pool_exhausted.add();
      socks_.note_pool_exhausted();
    } else if (cqe->res != -ECANCELED) {
      sp.errors.add();
    }
    return;
  }
  if (!(cqe->flags & IORING_CQE_F_BUFFER)) {
    sp.errors.add();
    return;
  }
  uint32_t slot = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
  br_.taken();
  uint8_t* buf = pool_.slot(slot);
  io_uring_recvmsg_out* o = io_uring_recvmsg_validate(buf, cqe->res, &msg_);
  if (!o || (o->flags & MSG_TRUNC)) {
    (o ? sp.truncated : sp.errors).add();
    give_to_ring(slot);
    return;
  }
  ucred cred;
  const bool have_cred = socks_.read_control(
      s, io_uring_recvmsg_cmsg_firsthdr(o, &msg_),
      [&](cmsghdr* c) { return io_uring_recvmsg_cmsg_nexthdr(o, &msg_, c); }, cred);
  if (discarding_) {
    // After the drain: counted once, as a shutdown drop, not as received.
    sp.shutdown_drops.add();
    give_to_ring(slot);
    return;
  }
  auto* payload = static_cast<uint8_t*>(io_uring_recvmsg_payload(o, &msg_));
  socks_.accepted(s, pool_.meta(slot), o->namelen > 0 ? static_cast<sockaddr*>(io_uring_recvmsg_name(o)) : nullptr,
                  have_cred ? &cred : nullptr, static_cast<uint32_t>(payload - buf), io_uring_recvmsg_payload_length(o, cqe->res, &msg_), now_ns);
  out_.push_back(slot);
}

void UringEngine::release(std::span<const uint32_t> slots) {
  for (uint32_t s : slots) give_to_ring(s);
  br_.publish();
  probe_.slots_in_use.set(probe_.slots_in_use.get() - slots.size());
}

bool UringEngine::sockets_empty() { return socks_.all_empty() && io_uring_cq_ready(&ring_) == 0; }

void UringEngine::cancel_all(bool deliver) {
  discarding_ = !deliver;
  for (uint16_t s = 0; s < socks_.size(); ++s) {
    if (!armed_[s]) continue;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    if (!sqe) break;
    io_uring_prep_cancel64(sqe, s, 0);
    io_uring_sqe_set_data64(sqe, kCancelTag);
  }
  // Completions that raced with the cancel are datagrams taken after the
  // drain ended: counted as shutdown drops, never lost silently (or handed
  // on, at a hand-over).
  for (int round = 0; round < 100; ++round) {
    __kernel_timespec ts{0, 10'000'000};
    io_uring_cqe* first = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
    harvest(wall_ns());
    if (std::none_of(armed_.begin(), armed_.end(), [](bool a) { return a; })) break;
  }
}

void UringEngine::discard_and_close() {
  if (ring_ready_) cancel_all(false);
  socks_.discard_queued_and_close();
}

void UringEngine::hand_over(DatagramHandler& handler) {
  out_.clear();
  if (ring_ready_) cancel_all(true);
  if (!out_.empty()) {
    probe_.slots_in_use.add(out_.size());
    handler.on_datagrams(out_);
  }
  socks_.hand_over();
}

std::string UringEngine::probe_support() {
  EngineOptions o;
  o.slot_bytes = 2048;
  o.slots = 8;
  o.batch = 1;
  UringEngine e(o);
  BoundSocket bound;
  if (Status st = e.add_socket({"127.0.0.1:0", 0, 0, false}, bound); !st) return st.message();
  if (Status st = e.start(); !st) return st.message();

  int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(bound.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static const char kPing[] = "ringest-probe";
  sendto(tx, kPing, sizeof kPing - 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(tx);

  const std::string got = first_delivered(e, 10, 50);
  if (got != "ringest-probe") return "multishot recvmsg delivered no datagram";
  return "";
}

}  // namespace ringest::rio
