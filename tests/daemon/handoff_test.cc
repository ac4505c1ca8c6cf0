// The handoff queue's reserve shards: asleep until harvests back up, woken
// by a stop, and (through the pipeline) idle at a trickle. Runs under TSan.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "daemon/handoff.h"

namespace ringest {
namespace {

using namespace std::chrono_literals;

// A reserve on its own thread: sleeps in wait_for_backlog until woken.
struct Reserve {
  HandoffQueue& q;
  const std::atomic<bool>& stop;
  int64_t wait_ns;
  std::atomic<bool> woke{false};
  std::thread t;
  Reserve(HandoffQueue& queue, const std::atomic<bool>& s, int64_t ns = -1) : q(queue), stop(s), wait_ns(ns) {
    t = std::thread([this] {
      q.wait_for_backlog(wait_ns, stop);
      woke.store(true);
    });
  }
  bool woken_within(std::chrono::milliseconds limit) const {
    for (auto waited = 0ms; waited < limit; waited += 1ms) {
      if (woke.load()) return true;
      std::this_thread::sleep_for(1ms);
    }
    return woke.load();
  }
  ~Reserve() { t.join(); }
};

void put(HandoffQueue& q, size_t harvests) {
  for (size_t i = 0; i < harvests; ++i) {
    Harvest h{0, 1, {}};
    REQUIRE(q.enqueue(h));
    q.enqueued();
  }
}

}  // namespace

TEST_CASE("a reserve shard sleeps through fewer queued harvests than the backlog") {
  HandoffQueue q(64);
  std::atomic<bool> stop{false};
  Reserve r(q, stop);
  std::this_thread::sleep_for(20ms);  // asleep, most likely; either way it must stay so
  put(q, HandoffQueue::kBacklogHarvests - 1);
  CHECK_FALSE(r.woken_within(100ms));
  put(q, 1);  // now the first shard is kBacklogHarvests behind
  CHECK(r.woken_within(10'000ms));
}

TEST_CASE("a reserve shard wakes for a backlog already queued when it goes to sleep") {
  HandoffQueue q(64);
  std::atomic<bool> stop{false};
  put(q, HandoffQueue::kBacklogHarvests);
  Reserve r(q, stop);
  CHECK(r.woken_within(10'000ms));
}

TEST_CASE("harvests taken by the first shard end the backlog: a reserve sleeps again") {
  HandoffQueue q(64);
  std::atomic<bool> stop{false};
  put(q, HandoffQueue::kBacklogHarvests);
  Harvest taken[HandoffQueue::kBacklogHarvests];
  REQUIRE(q.try_dequeue_bulk(taken, 2) == 2);
  CHECK_FALSE(q.backlog());
  Reserve r(q, stop);
  CHECK_FALSE(r.woken_within(100ms));
  stop.store(true);
  q.wake_reserves();
}

TEST_CASE("a stop wakes every sleeping reserve; a deadline wakes one alone") {
  HandoffQueue q(64);
  std::atomic<bool> stop{false};
  {
    Reserve a(q, stop), b(q, stop);
    std::this_thread::sleep_for(20ms);
    CHECK_FALSE(a.woke.load());
    CHECK_FALSE(b.woke.load());
    stop.store(true);
    q.wake_reserves();
    CHECK(a.woken_within(10'000ms));
    CHECK(b.woken_within(10'000ms));
  }
  std::atomic<bool> running{false};
  Reserve timed(q, running, 30'000'000);
  CHECK(timed.woken_within(10'000ms));
}

}  // namespace ringest
