// Parser throughput, one core: each benchmark parses a datagram of typical
// lines of one format over and over and reports lines per second
// (items_per_second) and ns per line. The sink only counts, so the figures are
// the parser's own cost. Run: build/release/bench/ringest-parse-bench
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "daemon/formats/parser.h"

namespace {

using namespace ringest;

class CountingSink final : public PointSink {
 public:
  void point(const PointView& p) override { fields += p.fields.size() + p.tags.size(); }
  void reject(uint16_t, uint32_t, std::string_view) override { ++rejects; }
  size_t fields = 0, rejects = 0;
};

// `lines` copies of `line` (each ended by '\n'), as one datagram.
std::string datagram(const std::string& line, int lines) {
  std::string d;
  for (int i = 0; i < lines; ++i) d += line + "\n";
  return d;
}

void run(benchmark::State& state, std::string_view format, const std::string& d, int lines) {
  std::unique_ptr<Parser> parser = make_parser(format, ParserOptions{});
  CountingSink sink;
  for (auto _ : state) {
    parser->parse(d, ParseContext{1'700'000'000'000'000'000}, sink);
    benchmark::DoNotOptimize(sink.fields);
  }
  if (sink.rejects != 0) state.SkipWithError("sample lines were rejected");
  state.SetItemsProcessed(state.iterations() * lines);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(d.size()));
  state.counters["bytes_per_line"] = static_cast<double>(d.size()) / lines;
}

// A plain StatsD counter, the most common line there is.
void BM_StatsdPlain(benchmark::State& state) {
  run(state, "statsd", datagram("api.requests.count:1|c", 20), 20);
}
// A DogStatsD distribution with a sample rate and four tags (~100 bytes).
void BM_StatsdDogTagged(benchmark::State& state) {
  run(state, "statsd",
      datagram("api.request.latency:12.5|d|@0.5|#env:prod,region:eu-west-1,host:web-42,service:checkout", 14),
      14);
}
// Line protocol, ~100 bytes: two tags, four fields of different types, a timestamp.
void BM_InfluxLine(benchmark::State& state) {
  run(state, "influx",
      datagram("cpu,host=web-42,region=eu-west-1 usage_user=12.5,usage_system=3.25,procs=128i,ok=true "
               "1700000000000000000",
               14),
      14);
}
// Line protocol with escapes and a quoted string (exercises the unescaping path).
void BM_InfluxEscaped(benchmark::State& state) {
  run(state, "influx",
      datagram(
          "disk\\ io,path=/var/lib\\,data,dev=sda free=1024u,msg=\"said \\\"ok\\\"\" 1700000000000000000",
          14),
      14);
}
void BM_Graphite(benchmark::State& state) {
  run(state, "graphite", datagram("servers.web-42.eu-west-1.cpu.usage_user 12.5 1700000000", 20), 20);
}
void BM_GraphiteTagged(benchmark::State& state) {
  run(state, "graphite", datagram("cpu.usage_user;host=web-42;region=eu-west-1 12.5 1700000000", 20), 20);
}
// Syslog is one message per datagram.
void BM_Rfc5424(benchmark::State& state) {
  run(state, "rfc5424",
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event log entry",
      1);
}
void BM_Rfc3164(benchmark::State& state) {
  run(state, "rfc3164", "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
      1);
}

BENCHMARK(BM_StatsdPlain);
BENCHMARK(BM_StatsdDogTagged);
BENCHMARK(BM_InfluxLine);
BENCHMARK(BM_InfluxEscaped);
BENCHMARK(BM_Graphite);
BENCHMARK(BM_GraphiteTagged);
BENCHMARK(BM_Rfc5424);
BENCHMARK(BM_Rfc3164);

}  // namespace

BENCHMARK_MAIN();
