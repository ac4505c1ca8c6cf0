// Contracts that hold for any input: parse() never reads out of bounds (run
// under ASan), accounts for every non-empty line exactly once, and allocates
// nothing on the heap once constructed.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "daemon/formats/statsd.h"
#include "tests/formats/counting_allocator.h"

namespace ringest {
namespace {

// Counts, keeps nothing: a sink that itself never allocates.
class CountingSink final : public PointSink {
 public:
  void point(const PointView& p) override {
    ++points;
    bytes += p.measurement.size() + p.tags.size() + p.fields.size();
  }
  void reject(uint16_t, uint32_t, std::string_view text) override {
    ++rejects;
    bytes += text.size();
  }
  size_t points = 0, rejects = 0, bytes = 0;
};

TEST_CASE("statsd: steady-state parsing does not allocate") {
  StatsdParser parser{ParserOptions{}};
  CountingSink sink;
  std::string datagram;
  for (int i = 0; i < 50; ++i) {
    datagram += "api.request.latency:12.5:13:14|d|@0.5|#env:prod,region:eu-west-1,host:web-" +
                std::to_string(i) + ",canary|T1700000000|c:abc123\n";
    datagram += "bad line " + std::to_string(i) + "\r\n";
    datagram += "gauge.x:+" + std::to_string(i) + "|g\n";
  }
  parser.parse(datagram, ParseContext{1}, sink);  // warm up
  testing::start_counting();
  auto witness = std::make_unique<int>(1);  // the counter itself works
  REQUIRE(testing::stop_counting() == 1);
  testing::start_counting();
  for (int i = 0; i < 100; ++i) parser.parse(datagram, ParseContext{1}, sink);
  CHECK(testing::stop_counting() == 0);
  CHECK(sink.points == 101 * 50 * 4);
  CHECK(sink.rejects == 101 * 50);
}

TEST_CASE("statsd: random mutations of valid lines never crash, every line is accounted") {
  const std::string seeds[] = {
      "a.b:1|c|@0.5|#k:v,t|T1700000000|c:cid",
      "g:+1.5:-2|g",
      "s:member|s|#x",
      "_e{3,4}:abc|defg",
      "t:1e3|ms\r\nh:-1|h",
  };
  const char alphabet[] = ":|@#,.+-eT\r\n0123456789abcxyz_{}\0";
  std::mt19937 rng(12345);
  StatsdParser parser{ParserOptions{}};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = seeds[rng() % std::size(seeds)];
    int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      char c = alphabet[rng() % (sizeof(alphabet) - 1)];
      switch (rng() % 3) {
        case 0: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
        case 1:
          if (pos < s.size()) s.erase(pos, 1);
          break;
        default:
          if (pos < s.size()) s[pos] = c;
      }
    }
    // An exactly sized heap copy, so ASan catches a read past the end.
    std::unique_ptr<char[]> buf(new char[s.size()]);
    std::copy(s.begin(), s.end(), buf.get());
    CountingSink sink;
    parser.parse(std::string_view(buf.get(), s.size()), ParseContext{0}, sink);
    // Each non-empty line is either rejected once or gives at least one point.
    size_t lines = 0;
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find('\n', start);
      if (end == std::string::npos) end = s.size();
      std::string_view line(s.data() + start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) ++lines;
      start = end + 1;
    }
    REQUIRE(sink.rejects <= lines);
    CHECK(sink.points >= lines - sink.rejects);
  }
}

}  // namespace
}  // namespace ringest
