// Receiver: one engine (the sockets of one listener's socket index) and the
// thread that runs it. The thread starts the engine, then loops: take back
// slots the shards returned, poll the engine, hand what it harvested to the
// shards. It never waits on a shard or on the disk: if the handoff queue
// refuses a batch, the datagrams are counted as queue_full drops and their
// slots reused at once.
//
// Lifetime: a receiver stopped by a reload may still have refs in the handoff
// queue; it is destroyed only once reclaim() says every slot came back.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/counter.h"
#include "common/heartbeat.h"
#include "common/status.h"
#include "daemon/handoff.h"
#include "rio/engine.h"

namespace ringest {

class Receiver final : rio::DatagramHandler {
 public:
  Receiver(uint16_t index, std::unique_ptr<rio::Engine> engine, HandoffQueue& queue);
  ~Receiver() override;

  rio::Engine& engine() { return *engine_; }
  const rio::Engine& engine() const { return *engine_; }
  // Starts the thread and waits until the engine has armed its receives.
  Status start();
  // Any thread: stop receiving. The thread reads what the sockets still hold
  // (for at most drain_ms), counts what is left as shutdown drops, closes the
  // sockets and ends. Returns after the thread has ended.
  void stop_and_join(int drain_ms);
  // Any thread, once the engine's sockets have been taken over by another
  // (rio::Engine::hand_over): stop receiving without draining — the new
  // engine reads what the sockets hold. Returns after the thread has ended.
  void hand_over_and_join();

  // Any thread (shard threads): give slots back to this receiver's engine.
  void return_slots(std::span<const uint32_t> slots);
  // After stop_and_join(): takes back what the shards returned since; true
  // once every slot the engine handed out is back (the receiver may go).
  bool reclaim();

  uint16_t index() const { return index_; }
  // Datagrams refused by a full handoff queue.
  uint64_t queue_full_drops() const { return queue_full_.get(); }
  // Harvest sizes: bucket i counts polls that handed out n datagrams with
  // 2^(i-1) < n <= 2^i (bucket 0: n == 1).
  static constexpr size_t kBatchBuckets = 12;
  uint64_t batch_bucket(size_t i) const { return batch_hist_[i].get(); }
  // Datagrams handed out over all polls: the histogram's sum.
  uint64_t batch_datagrams() const { return batch_sum_.get(); }
  // Back from each engine poll within kPollMs, unless stuck.
  const Heartbeat& heartbeat() const { return heartbeat_; }

 private:
  static constexpr int kPollMs = 100;

  void run();
  void take_back_returned();
  void on_datagrams(std::span<const uint32_t> slots) override;

  uint16_t index_;
  std::unique_ptr<rio::Engine> engine_;
  HandoffQueue& queue_;
  moodycamel::ProducerToken ptok_;
  SlotReturnQueue returns_;
  moodycamel::ConsumerToken return_ctok_;
  std::vector<Harvest> harvests_;
  std::vector<uint32_t> returned_;
  Counter queue_full_;
  std::array<Counter, kBatchBuckets> batch_hist_;
  Counter batch_sum_;
  Heartbeat heartbeat_;
  std::atomic<bool> stop_{false};
  int drain_ms_ = 0;
  bool hand_over_ = false;
  std::thread thread_;
};

}  // namespace ringest
