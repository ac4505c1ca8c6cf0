// BufferPool: the one registered slab an engine receives into, split into
// fixed-size slots. A slot holds one datagram (on Linux io_uring also its
// recvmsg header, source address and control data ahead of the payload).
//
// Ownership of a slot moves: free (the kernel or the engine may fill it) →
// handed to the pipeline (a parser reads meta() and payload()) → released back
// to the engine on the engine's own thread. Only the engine thread posts a
// slot to the kernel; parsers only read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/source_address.h"

namespace ringest::rio {

// What the engine learned about the datagram in a slot. Written by the engine
// thread before the slot is handed out; read by whoever holds the slot.
struct SlotMeta {
  uint32_t offset = 0;    // payload start within the slot
  uint32_t length = 0;    // payload length
  uint16_t listener = 0;  // the listener whose socket received it
  uint16_t socket = 0;    // the engine's socket index
  SourceAddress source;
  int64_t receive_ns = 0;  // wall clock, taken once per harvested batch
};

class BufferPool {
 public:
  // Maps slots * slot_bytes bytes (page aligned, zero-filled). On failure
  // data() is null.
  BufferPool(uint32_t slot_bytes, uint32_t slots);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  bool ok() const { return slab_ != nullptr; }
  uint8_t* data() { return slab_; }
  size_t size_bytes() const { return size_t(slot_bytes_) * slots_; }
  uint32_t slot_bytes() const { return slot_bytes_; }
  uint32_t slots() const { return slots_; }

  uint8_t* slot(uint32_t i) { return slab_ + size_t(i) * slot_bytes_; }
  SlotMeta& meta(uint32_t i) { return meta_[i]; }
  const SlotMeta& meta(uint32_t i) const { return meta_[i]; }
  std::string_view payload(uint32_t i) const {
    const SlotMeta& m = meta_[i];
    return {reinterpret_cast<const char*>(slab_) + size_t(i) * slot_bytes_ + m.offset, m.length};
  }

 private:
  uint32_t slot_bytes_;
  uint32_t slots_;
  uint8_t* slab_ = nullptr;
  SlotMeta* meta_ = nullptr;
};

}  // namespace ringest::rio
