#include "rio/windows/socket_set.h"

#include "rio/record_datagram.h"
#include "rio/windows/udp_socket.h"

namespace ringest::rio::win_udp {

Status SocketSet::add(const SocketSpec& spec, DWORD extra_flags, BoundSocket& bound) {
  if (n_ == kMax) return Status::invalid("too many sockets for one engine");
  if (spec.take_over >= 0) return Status::invalid("a socket can't be taken over on Windows");
  SOCKET s = INVALID_SOCKET;
  if (Status st = open_bound(spec, extra_flags, s, bound); !st) return st;
  s_[n_] = s;
  probe_[n_].listener = spec.listener;
  ++n_;
  return {};
}

void SocketSet::accepted(uint16_t sock, SlotMeta& meta, const sockaddr* name, uint32_t offset,
                         uint32_t length, int64_t now_ns) {
  record_datagram(probe_[sock], sock, meta, name, offset, length, now_ns);
}

bool SocketSet::all_empty() const {
  for (uint16_t i = 0; i < n_; ++i)
    if (s_[i] != INVALID_SOCKET && queued_bytes(s_[i]) > 0) return false;
  return true;
}

void SocketSet::discard_queued_and_close() {
  for (uint16_t i = 0; i < n_; ++i) {
    if (s_[i] != INVALID_SOCKET) probe_[i].shutdown_drops.add(discard_queued(s_[i]));
  }
  close_all();
}

void SocketSet::close_all() {
  for (uint16_t i = 0; i < n_; ++i) {
    if (s_[i] != INVALID_SOCKET) closesocket(s_[i]);
    s_[i] = INVALID_SOCKET;
  }
}

}  // namespace ringest::rio::win_udp
