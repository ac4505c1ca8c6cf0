#include "rio/linux/socket_set.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "rio/linux/udp_socket.h"
#include "rio/record_datagram.h"

namespace ringest::rio::linux_udp {

Status SocketSet::add(const SocketSpec& spec, BoundSocket& bound) {
  if (n_ == kMax) return Status::invalid("too many sockets for one engine");
  int fd = -1;
  if (Status st = open_bound(spec, fd, bound); !st) return st;
  fd_[n_] = fd;
  probe_[n_].listener = spec.listener;
  taken_from_[n_] = spec.take_over >= 0 ? spec.taken_from : nullptr;
  ++n_;
  return {};
}

void SocketSet::accepted(uint16_t sock, SlotMeta& meta, const sockaddr* name, const ucred* cred, uint32_t offset,
                         uint32_t length, int64_t now_ns) {
  record_datagram(probe_[sock], sock, meta, name, offset, length, now_ns);
  if (cred != nullptr) meta.source = SourceAddress::unix_peer(static_cast<uint32_t>(cred->pid), cred->uid);
}

void SocketSet::resume_taken_over() {
  for (uint16_t i = 0; i < n_; ++i) {
    if (taken_from_[i] == nullptr) continue;
    drops_seen_[i] = static_cast<uint32_t>(taken_from_[i]->kernel_drops_seen.get());
    probe_[i].kernel_drops_seen.set(drops_seen_[i]);
    taken_from_[i] = nullptr;
  }
}

void SocketSet::hand_over() {
  refresh_drops();
  close_all();
}

void SocketSet::observe_drops(uint16_t i, uint32_t sk_drops) {
  uint32_t before = drops_seen_[i];
  account_kernel_drops(probe_[i], drops_seen_[i], sk_drops, exhausted_[i]);
  probe_[i].kernel_drops_seen.set(drops_seen_[i]);
  // The exhaustion is forgiven once the drops it explains have been counted.
  if (drops_seen_[i] != before) exhausted_[i] = false;
}

void SocketSet::refresh_drops() {
  for (uint16_t i = 0; i < n_; ++i)
    if (fd_[i] >= 0) observe_drops(i, static_cast<uint32_t>(kernel_drops(fd_[i])));
}

bool SocketSet::all_empty() const {
  for (uint16_t i = 0; i < n_; ++i)
    if (fd_[i] >= 0 && queued_bytes(fd_[i]) > 0) return false;
  return true;
}

void SocketSet::discard_queued_and_close() {
  static thread_local char scratch[65536];
  for (uint16_t i = 0; i < n_; ++i) {
    if (fd_[i] < 0) continue;
    while (recv(fd_[i], scratch, sizeof scratch, MSG_DONTWAIT | MSG_TRUNC) >= 0)
      probe_[i].shutdown_drops.add();
  }
  refresh_drops();
  close_all();
}

void SocketSet::close_all() {
  for (uint16_t i = 0; i < n_; ++i) {
    if (fd_[i] >= 0) close(fd_[i]);
    fd_[i] = -1;
  }
}

}  // namespace ringest::rio::linux_udp
