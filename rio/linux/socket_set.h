// SocketSet: the sockets one Linux engine owns, with their probes and the
// kernel-drop bookkeeping both Linux engines share.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "common/status.h"
#include <sys/socket.h>

#include "rio/engine.h"

namespace ringest::rio::linux_udp {

class SocketSet {
 public:
  static constexpr uint16_t kMax = 64;

  SocketSet() = default;
  ~SocketSet() { close_all(); }
  SocketSet(const SocketSet&) = delete;
  SocketSet& operator=(const SocketSet&) = delete;

  Status add(const SocketSpec& spec, BoundSocket& bound);
  uint16_t size() const { return n_; }
  int fd(uint16_t i) const { return fd_[i]; }
  uint16_t listener(uint16_t i) const { return probe_[i].listener; }
  SocketProbe& probe(uint16_t i) { return probe_[i]; }
  std::span<const SocketProbe> probes() const { return {probe_.data(), n_}; }

  // A datagram landed in a slot: records where it came from and counts it.
  // `name` may be null when the kernel gave no address; `cred` is the
  // sender's (SCM_CREDENTIALS) on a Unix socket, else null.
  void accepted(uint16_t sock, SlotMeta& meta, const sockaddr* name, const ucred* cred, uint32_t offset,
                uint32_t length, int64_t now_ns);
  // The control messages of one datagram: SO_RXQ_OVFL drop counts are
  // observed; SCM_CREDENTIALS is copied to `cred`, and true returned.
  template <typename Next>
  bool read_control(uint16_t sock, cmsghdr* first, Next next, ucred& cred);

  // The pool ran out of slots: kernel drops seen from now on are blamed on it.
  void note_pool_exhausted() { exhausted_.fill(true); }
  // Engine start: sockets taken over count kernel drops on from where the
  // engine they came from stopped.
  void resume_taken_over();
  // Hand-over: counts the kernel drops so far, then closes the descriptors.
  void hand_over();
  // A fresh SO_RXQ_OVFL value for socket i (from a control message).
  void observe_drops(uint16_t i, uint32_t sk_drops);
  // Reads every socket's drop counter directly (SO_MEMINFO); for idle times
  // and shutdown, when no datagram brings a control message.
  void refresh_drops();
  // True when no socket has anything queued.
  bool all_empty() const;
  // Reads and counts as shutdown drops whatever is still queued, then closes.
  void discard_queued_and_close();
  void close_all();

 private:
  uint16_t n_ = 0;
  std::array<int, kMax> fd_{};
  std::array<uint32_t, kMax> drops_seen_{};
  std::array<bool, kMax> exhausted_{};
  std::array<const SocketProbe*, kMax> taken_from_{};
  std::array<SocketProbe, kMax> probe_;
};

template <typename Next>
bool SocketSet::read_control(uint16_t sock, cmsghdr* c, Next next, ucred& cred) {
  bool have_cred = false;
  for (; c != nullptr; c = next(c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SO_RXQ_OVFL) {
      uint32_t drops;
      std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
      observe_drops(sock, drops);
    } else if (c->cmsg_type == SCM_CREDENTIALS) {
      std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
      have_cred = true;
    }
  }
  return have_cred;
}

}  // namespace ringest::rio::linux_udp
