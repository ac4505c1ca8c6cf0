// A parser shard's own work, one core, without sockets or disk: the StatsD
// parser's points encoded into segment batches as the log does (a bound, then
// the record; a new batch every batch_bytes), over the datagrams
// ringest-loadgen sends (statsd-plain, 30 and 1 lines). Reports ns per line.
// Run: build/release/bench/ringest-store-bench
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "daemon/formats/parser.h"
#include "sinks/record_codec.h"
#include "tools/loadgen/formats.h"

namespace {

using namespace ringest;

class EncodingSink final : public PointSink {
 public:
  static constexpr size_t kBatchBytes = 256u << 10;
  EncodingSink() : batch_(kBatchBytes + 4096) { encoder_.reset(); }
  void point(const PointView& p) override {
    room(encoder_.point_bound(origin, p));
    at_ += encoder_.encode_point(batch_.data(), at_, origin, p);
    ++records;
  }
  void metric(const MetricView& m) override { metrics(std::span<const MetricView>(&m, 1)); }
  // As the partition log takes a run (the StatsD parser's are no longer than the look-ahead).
  void metrics(std::span<const MetricView> ms) override {
    std::array<uint32_t, RecordEncoder::kLookAhead> hashes;
    if (ms.size() > hashes.size()) std::abort();
    encoder_.lookup_ahead(ms, hashes.data());
    for (size_t i = 0; i < ms.size(); ++i) {
      room(encoder_.metric_bound(origin, ms[i]));
      at_ += encoder_.encode_metric(batch_.data(), at_, origin, ms[i], hashes[i]);
      ++records;
    }
  }
  void reject(uint16_t, uint32_t, std::string_view) override { ++rejects; }
  Origin origin;
  size_t records = 0, rejects = 0, batches = 0;

 private:
  void room(size_t bound) {
    if (at_ + bound > kBatchBytes) {
      encoder_.reset();
      at_ = 0;
      ++batches;
    }
  }
  RecordEncoder encoder_;
  std::vector<uint8_t> batch_;
  size_t at_ = 0;
};

void run(benchmark::State& state, uint32_t lines) {
  // 256 datagrams, as loadgen makes them, parsed in turn.
  std::vector<std::string> datagrams(256);
  loadgen::Vocabulary vocab;
  for (size_t i = 0; i < datagrams.size(); ++i)
    loadgen::append_datagram(loadgen::Format::kStatsdPlain, vocab, i, lines, 1'700'000'000'000'000'000,
                             datagrams[i]);
  std::unique_ptr<Parser> parser = make_parser("statsd", ParserOptions{});
  EncodingSink sink;
  sink.origin.listener = 1;
  sink.origin.source.family = SourceAddress::kIPv4;
  sink.origin.source.port = 40000;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& d = datagrams[i++ % datagrams.size()];
    sink.origin.receive_ns += 1000;
    parser->parse(d, ParseContext{sink.origin.receive_ns}, sink);
    bytes += d.size();
  }
  if (sink.rejects != 0) state.SkipWithError("sample lines were rejected");
  state.SetItemsProcessed(static_cast<int64_t>(sink.records));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_StatsdPlain30Stored(benchmark::State& state) { run(state, 30); }
void BM_StatsdPlain1Stored(benchmark::State& state) { run(state, 1); }

}  // namespace

BENCHMARK(BM_StatsdPlain30Stored);
BENCHMARK(BM_StatsdPlain1Stored);

BENCHMARK_MAIN();
