// The handoff between receive engines and parser shards (DESIGN.md step 2).
//
// What travels is a Harvest: the slots one engine poll() handed out, named by
// their receiver (a harvest larger than kSlots travels as several, in one
// enqueue). One queue operation per harvest, so one shard wakes for it, not
// one per datagram. Refs travel engine → shards over one shared
// BlockingConcurrentQueue (shards take bulk runs of harvests); the slots
// travel back over each receiver's own return queue, so only the engine
// thread ever hands a slot to the kernel. The queue never holds more
// harvests than the pools have slots, so it is bounded by the pools.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/concurrent_queue.h"

namespace ringest {

struct Harvest {
  static constexpr uint32_t kSlots = 61;  // 248 bytes in all
  uint16_t receiver;  // index into the pipeline's receivers; kWakeReceiver: none
  uint16_t count;
  uint32_t slots[kSlots];
};

// Not datagrams: wakes a sleeping shard so it sees its stop flag.
inline constexpr uint16_t kWakeReceiver = 0xFFFF;
inline constexpr Harvest kWakeHarvest{kWakeReceiver, 0, {}};

// A shard that finds the queue empty spins this many times before it sleeps.
// The library's default (10,000) is for queues fed continuously; ours is fed a
// harvest at a time, up to a millisecond apart, so a long spin only burns the
// core the receiver needs.
struct HandoffTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const int MAX_SEMA_SPINS = 100;
};

class HandoffQueue : public moodycamel::BlockingConcurrentQueue<Harvest, HandoffTraits> {
 public:
  using BlockingConcurrentQueue::BlockingConcurrentQueue;
  // Datagrams in the harvests queued (receivers add before enqueueing,
  // shards subtract once parsed): the depth /metrics shows.
  std::atomic<int64_t> datagrams{0};
};

using SlotReturnQueue = moodycamel::ConcurrentQueue<uint32_t>;

}  // namespace ringest
