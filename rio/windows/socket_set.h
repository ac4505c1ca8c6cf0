// SocketSet: the sockets one Windows engine owns, with their probes.
//
// Windows keeps no per-socket count of datagrams the stack dropped (Linux's
// SO_RXQ_OVFL has no counterpart), so kernel_drops_* stay zero here: a
// datagram lost before a receive was posted is seen only as a gap in the
// sender's sequence numbers.
#pragma once

#include <winsock2.h>

#include <array>
#include <cstdint>
#include <span>

#include "common/status.h"
#include "rio/engine.h"

namespace ringest::rio::win_udp {

class SocketSet {
 public:
  static constexpr uint16_t kMax = 64;

  SocketSet() { s_.fill(INVALID_SOCKET); }
  ~SocketSet() { close_all(); }
  SocketSet(const SocketSet&) = delete;
  SocketSet& operator=(const SocketSet&) = delete;

  // `extra_flags` is added to WSA_FLAG_OVERLAPPED (WSA_FLAG_REGISTERED_IO for RIO).
  Status add(const SocketSpec& spec, DWORD extra_flags, BoundSocket& bound);
  uint16_t size() const { return n_; }
  SOCKET socket(uint16_t i) const { return s_[i]; }
  uint16_t listener(uint16_t i) const { return probe_[i].listener; }
  SocketProbe& probe(uint16_t i) { return probe_[i]; }
  std::span<const SocketProbe> probes() const { return {probe_.data(), n_}; }

  // A datagram landed in a slot: records where it came from and counts it.
  // `name` may be null when the stack gave no address.
  void accepted(uint16_t sock, SlotMeta& meta, const sockaddr* name, uint32_t offset, uint32_t length,
                int64_t now_ns);

  // True when no socket has anything queued.
  bool all_empty() const;
  // Reads and counts as shutdown drops whatever is still queued, then closes.
  void discard_queued_and_close();
  void close_all();

 private:
  uint16_t n_ = 0;
  std::array<SOCKET, kMax> s_;
  std::array<SocketProbe, kMax> probe_;
};

}  // namespace ringest::rio::win_udp
