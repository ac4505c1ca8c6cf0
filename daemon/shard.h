// ParserShard: one parser thread and the log partition it alone writes.
// It takes runs of datagram refs from the handoff queue, parses each payload
// in place with its listener's parser, appends the points to its partition,
// and gives the slots back to the receivers that own them.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "common/counter.h"
#include "daemon/formats/parser.h"
#include "daemon/handoff.h"
#include "daemon/receiver.h"
#include "daemon/settings.h"
#include "sinks/partition_log.h"

namespace ringest {

// Per-listener counters of one shard; one writer (the shard thread).
struct ShardListenerProbe {
  Counter datagrams;          // datagrams parsed
  Counter points;             // points appended
  Counter raw;                // rejected lines kept as raw records
  Counter parse_dropped;      // datagrams with no line that could be stored
  std::unique_ptr<Counter[]> parse_errors;  // lines rejected, by reason index
};

class ParserShard final : PointSink {
 public:
  ParserShard(uint32_t index, const Settings& settings, std::unique_ptr<PartitionLog> log,
              HandoffQueue& queue, std::span<const std::unique_ptr<Receiver>> receivers);
  ~ParserShard() override;

  void start();
  // Any thread: once the receivers have stopped, finish what is queued, close
  // the log (written and synced) and end. Returns the log's close status.
  Status stop_and_join();

  const LogProbe& log_probe() const { return log_->probe(); }
  const ShardListenerProbe& listener_probe(size_t listener) const { return probes_[listener]; }
  const Parser& parser(size_t listener) const { return *parsers_[listener]; }

 private:
  void run();
  void process(const DatagramRef* refs, size_t n);
  void parse_one(const DatagramRef& ref);
  void return_slots();
  void point(const PointView& p) override;
  void reject(uint16_t reason, uint32_t line, std::string_view text) override;

  std::vector<bool> keep_raw_;
  std::unique_ptr<PartitionLog> log_;
  HandoffQueue& queue_;
  moodycamel::ConsumerToken ctok_;
  std::span<const std::unique_ptr<Receiver>> receivers_;
  std::vector<std::unique_ptr<moodycamel::ProducerToken>> return_toks_;
  std::vector<std::vector<uint32_t>> to_return_;  // per receiver
  std::vector<std::unique_ptr<Parser>> parsers_;  // per listener
  std::unique_ptr<ShardListenerProbe[]> probes_;
  // The datagram being parsed.
  Origin origin_;
  uint32_t records_in_datagram_ = 0;
  Status close_status_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ringest
