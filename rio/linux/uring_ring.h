// The io_uring pieces both Linux io_uring engines (datagram and stream) set
// up the same way: the ring itself, and a provided-buffer ring the kernel
// picks receive buffers from.
#pragma once

#include <liburing.h>

#include <cstdint>

#include "common/status.h"

namespace ringest::rio::linux_uring {

uint32_t next_pow2(uint32_t v);

// A ring with room for `cq_entries` completions: one issuer with task work
// deferred to our own wait where the kernel has it, so completions are
// processed in batches when asked for rather than by interrupting the thread.
Status init_ring(io_uring& ring, uint32_t cq_entries);

// A provided-buffer ring (group `bgid`) of at least `buffers` entries.
class BufferRing {
 public:
  BufferRing() = default;
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  Status setup(io_uring& ring, uint32_t buffers, uint16_t bgid);
  // Offers a buffer to the kernel; it is seen after publish().
  void add(void* addr, uint32_t len, uint16_t bid) {
    io_uring_buf_ring_add(br_, addr, len, bid, mask_, static_cast<int>(pending_++));
    ++in_ring_;
  }
  void publish() {
    if (pending_ == 0) return;
    io_uring_buf_ring_advance(br_, static_cast<int>(pending_));
    pending_ = 0;
  }
  // The kernel filled one of the buffers (a completion carried its id).
  void taken() { --in_ring_; }
  // Buffers the kernel may fill.
  uint32_t in_ring() const { return in_ring_; }

 private:
  io_uring_buf_ring* br_ = nullptr;
  size_t bytes_ = 0;
  uint32_t mask_ = 0;
  uint32_t pending_ = 0;
  uint32_t in_ring_ = 0;
};

}  // namespace ringest::rio::linux_uring
