// The handoff between receive engines and parser shards (DESIGN.md step 2).
//
// A DatagramRef names a slot in one receiver's pool. Refs travel engine →
// shards over one shared BlockingConcurrentQueue (shards take bulk runs of
// them); the slots travel back over each receiver's own return queue, so only
// the engine thread ever hands a slot to the kernel. The queue never holds
// more refs than the pools have slots, so it is bounded by the pools.
#pragma once

#include <cstdint>

#include "common/concurrent_queue.h"

namespace ringest {

struct DatagramRef {
  uint32_t slot;
  uint16_t receiver;  // index into the pipeline's receivers
};

// Not a datagram: wakes a sleeping shard so it sees its stop flag.
inline constexpr DatagramRef kWakeRef{0, 0xFFFF};

using HandoffQueue = moodycamel::BlockingConcurrentQueue<DatagramRef>;
using SlotReturnQueue = moodycamel::ConcurrentQueue<uint32_t>;

}  // namespace ringest
