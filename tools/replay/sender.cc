#include "tools/replay/sender.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringest::replay {

Sender::~Sender() {
  for (int fd : fd4_)
    if (fd >= 0) close(fd);
  for (int fd : fd6_)
    if (fd >= 0) close(fd);
}

bool Sender::add(const Target& to, std::span<const uint8_t> payload) {
  if (full()) return false;
  spans_.emplace_back(arena_.size(), payload.size());
  arena_.insert(arena_.end(), payload.begin(), payload.end());
  targets_.push_back(to);
  msgs_.push_back(mmsghdr{});
  return true;
}

Status Sender::socket_for(int family, int& fd) {
  std::vector<int>& fds = family == AF_INET6 ? fd6_ : fd4_;
  int& slot = fds[turn_ % fds.size()];
  if (slot < 0) {
    slot = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (slot < 0) return Status::from_errno(errno, "socket");
    int sndbuf = 4 << 20;
    setsockopt(slot, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  fd = slot;
  return Status();
}

Status Sender::flush() {
  const size_t n = msgs_.size();
  iov_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    iov_[i] = {arena_.data() + spans_[i].first, spans_[i].second};
    msgs_[i] = mmsghdr{};
    msgs_[i].msg_hdr.msg_name = &targets_[i].addr;
    msgs_[i].msg_hdr.msg_namelen = targets_[i].len;
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  size_t done = 0;
  Status status;
  while (done < n) {
    // One call per run of datagrams of the same family (one socket each).
    const int family = targets_[done].addr.ss_family;
    size_t run = done;
    while (run < n && targets_[run].addr.ss_family == family) ++run;
    int fd = -1;
    if (!(status = socket_for(family, fd)).ok()) break;
    const int r = sendmmsg(fd, msgs_.data() + done, unsigned(run - done), 0);
    if (r > 0) {
      for (size_t i = done; i < done + size_t(r); ++i) sent_bytes_ += spans_[i].second;
      sent_ += uint64_t(r);
      done += size_t(r);
    } else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
      ++retries_;
    } else {
      ++errors_;  // this datagram is refused; go on with the next
      ++done;
    }
  }
  ++turn_;
  arena_.clear();
  spans_.clear();
  targets_.clear();
  msgs_.clear();
  return status;
}

}  // namespace ringest::replay
