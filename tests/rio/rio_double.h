// RioDouble: a TEST DOUBLE of the Winsock Registered I/O function table. It
// is not Registered I/O and has none of its speed: Wine has no RIO (the table
// request answers WSAEOPNOTSUPP), so the RIO engine's tests run against this
// stand-in instead.
//
// It moves real datagrams: a worker thread plays the kernel, doing ordinary
// non-blocking recvfrom() on the real bound sockets into the registered
// buffers a posted RIOReceiveEx named, and queueing a RIORESULT. Around that
// it keeps RIO's documented rules and fails the way RIO fails:
//   - RIO_BUF: the buffer id must be registered and offset + length must lie
//     inside the registration (WSAEINVAL); the address buffer must hold a
//     SOCKADDR_INET.
//   - RIOCreateRequestQueue charges MaxOutstandingReceive + MaxOutstandingSend
//     against the completion queue's size (WSAENOBUFS when it does not fit).
//   - RIOReceiveEx: at most MaxOutstandingReceive receives outstanding and at
//     most MaxReceiveDataBuffers buffers per receive (WSAENOBUFS / WSAEINVAL).
//   - RIONotify is one-shot: a second call before the notification fired
//     answers WSAEALREADY; the notification is the CQ's OVERLAPPED and key
//     posted to its completion port, at once if the CQ is not empty.
//   - A completion that finds its completion queue full corrupts it: from
//     then on RIODequeueCompletion returns RIO_CORRUPT_CQ.
// A datagram longer than the buffer completes with WSAEMSGSIZE, as RIO does.
// Sends and resizing are not implemented (WSAEOPNOTSUPP): ringest only receives.
#pragma once

#include <cstdint>
#include <memory>

#include "rio/windows/rio_api.h"

namespace ringest::test {

class RioDouble {
 public:
  // The one double of the process (the table holds plain function pointers),
  // alive while someone holds it; its worker thread stops with the last holder.
  static std::shared_ptr<RioDouble> acquire();
  ~RioDouble();

  RIO_EXTENSION_FUNCTION_TABLE table() const;

  // Test knob: completion queues created from now on hold only `entries`
  // whatever size was asked, and are not charged: the misuse that lets a
  // completion queue overflow. 0 restores the rules.
  void set_cq_capacity_override(uint32_t entries);

  // Counters of what the double saw (for tests of the engine's behaviour).
  struct Stats {
    uint64_t notifies = 0;           // RIONotify calls accepted
    uint64_t notifies_rejected = 0;  // WSAEALREADY answers
    uint64_t receives_posted = 0;
    uint64_t receives_rejected = 0;  // capacity or bounds violations
    uint64_t max_dequeue_batch = 0;  // largest ArraySize seen
  };
  Stats stats() const;

 private:
  RioDouble();
  struct State;
  std::unique_ptr<State> st_;
  friend struct RioDoubleApi;
};

}  // namespace ringest::test
