// ParserShard: one parser thread and the log partition it alone writes.
// It takes runs of harvests (datagram slots) from the handoff queue (shard 0
// waiting on it, the others as reserves: see HandoffQueue), parses each payload
// in place with its listener's parser, appends the points to its partition,
// and gives the slots back to the receivers that own them.
//
// Listeners and receivers are looked up per datagram in lock-free tables the
// pipeline maintains, so a reload can add or retire them while shards run.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "common/counter.h"
#include "common/heartbeat.h"
#include "daemon/durable_latency.h"
#include "daemon/formats/parser.h"
#include "daemon/handoff.h"
#include "daemon/listener_state.h"
#include "daemon/write_health.h"
#include "daemon/receiver.h"
#include "sinks/partition_log.h"

namespace ringest {

// Receiver index → receiver, read by shards without locks.
class ReceiverTable {
 public:
  static constexpr size_t kMax = 4096;
  Receiver* get(uint16_t i) const { return slots_[i].load(std::memory_order_acquire); }
  void set(uint16_t i, Receiver* r) { slots_[i].store(r, std::memory_order_release); }

 private:
  std::array<std::atomic<Receiver*>, kMax> slots_{};
};

class ParserShard final : PointSink, SettleObserver {
 public:
  ParserShard(uint32_t index, std::unique_ptr<PartitionLog> log, HandoffQueue& queue,
              const ListenerTable& listeners, const ReceiverTable& receivers);
  ~ParserShard() override;

  void start();
  // Any thread: once the receivers have stopped, finish what is queued, close
  // the log (written and synced) and end (a reserve is woken for it).
  // Returns the log's close status.
  // With several shards (Pipeline::stop): request_stop() and join() on each
  // reserve, then on shard 0 with kWakeHarvests, once no other shard can
  // take them.
  void request_stop();
  Status join();
  // request_stop(), a kWakeHarvest, join(): for shard 0 when it is the
  // queue's one consumer left (and the destructor's).
  Status stop_and_join();
  // Any thread: the shard's thread has closed its log and is ending (join()
  // then returns at once).
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  uint32_t index() const { return index_; }
  const LogProbe& log_probe() const { return log_->probe(); }
  const DurableLatency& durable_latency() const { return latency_; }
  const WriteHealth& write_health() const { return health_; }
  const Heartbeat& heartbeat() const { return heartbeat_; }
  // Datagrams taken from the handoff queue.
  uint64_t taken() const { return taken_.get(); }

 private:
  void run();
  void take_from_queue();
  void take_as_reserve();
  int64_t next_deadline(int64_t now) const;
  // The log's writes, syncs and lingering batch; the health and latency samplers.
  void tend(int64_t now);
  void process(const Harvest* harvests, size_t n);
  void parse_one(rio::BufferPool& pool, uint32_t slot);
  void return_slots();
  void point(const PointView& p) override;
  void metric(const MetricView& m) override;
  void metrics(std::span<const MetricView> ms) override;
  void reject(uint16_t reason, uint32_t line, std::string_view text) override;
  void skipped(uint16_t what) override;
  void settled(uint16_t slot, uint32_t datagrams, Settled how) override;

  uint32_t index_;
  std::unique_ptr<PartitionLog> log_;
  HandoffQueue& queue_;
  moodycamel::ConsumerToken ctok_;
  const ListenerTable& listeners_;
  const ReceiverTable& receivers_;
  // Slots to give back, gathered per receiver over one bulk of refs.
  std::vector<std::vector<uint32_t>> to_return_;
  std::vector<uint16_t> touched_;
  // The datagram being parsed.
  Origin origin_;
  ListenerState* listener_ = nullptr;
  ShardListenerProbe* probe_ = nullptr;
  uint32_t records_in_datagram_ = 0;
  DurableLatency latency_;
  WriteHealth health_;
  Heartbeat heartbeat_;
  Counter taken_;
  // Rejected lines are logged at most once per interval, with a count.
  uint64_t rejected_unlogged_ = 0;
  int64_t next_reject_log_ns_ = 0;
  Status close_status_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ringest
