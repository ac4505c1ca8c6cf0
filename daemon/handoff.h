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
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

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

// The first shard waits on the queue itself; the others are reserves, asleep
// outside it until harvests back up. At low and moderate rates one shard
// then takes every harvest, so one log lingers, writes and syncs instead of
// each, and one thread wakes per harvest; under a backlog (the first shard
// descheduled, or more than it can parse) the reserves take from the same
// queue until it is empty, and sleep again.
class HandoffQueue : public moodycamel::BlockingConcurrentQueue<Harvest, HandoffTraits> {
 public:
  // Harvests queued and not yet taken by any shard that wake a reserve: the
  // first shard is this far behind.
  static constexpr size_t kBacklogHarvests = 4;

  using BlockingConcurrentQueue::BlockingConcurrentQueue;
  // Datagrams in the harvests queued (receivers add before enqueueing,
  // shards subtract once parsed): the depth /metrics shows.
  std::atomic<int64_t> datagrams{0};

  bool backlog() const { return size_approx() >= kBacklogHarvests; }

  // Receivers, after each enqueue: wakes one sleeping reserve if harvests
  // back up. One fence and one load when none sleeps or there is no backlog.
  // Never waits: if a reserve holds the lock (between its look at the queue
  // and its wait), the notify is left to the next enqueue; shard 0 takes the
  // harvests meanwhile.
  void enqueued() {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the enqueue before the look at sleepers
    if (sleeping_.load(std::memory_order_relaxed) == 0 || !backlog()) return;
    if (!mu_.try_lock()) return;
    mu_.unlock();  // a reserve that looked at the queue before our enqueue is now in its wait
    cv_.notify_one();
  }

  // A reserve shard: sleeps until harvests back up, `stop` is set (then
  // wake_reserves() is called), or `wait_ns` (< 0: no limit) has passed.
  void wait_for_backlog(int64_t wait_ns, const std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    sleeping_.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the count before the look at the queue
    auto woken = [&] { return backlog() || stop.load(std::memory_order_acquire); };
    if (wait_ns < 0)
      cv_.wait(lock, woken);
    else
      cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns), woken);
    sleeping_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Any thread, after setting a shard's stop flag: wakes every reserve.
  void wake_reserves() {
    { std::lock_guard lock(mu_); }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> sleeping_{0};
};

using SlotReturnQueue = moodycamel::ConcurrentQueue<uint32_t>;

}  // namespace ringest
