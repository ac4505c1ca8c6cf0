// The StatsD parser's short path (StatsdParser::parse_simple): a line it takes
// gives, as a MetricView, the very point the full parse gives the same line;
// a line it does not take, and every line it would reject, is left to the
// full parse. The full parse is reached by the same line with a DogStatsD tag
// section after it, which only adds that tag in front of metric_type.
#include <doctest/doctest.h>

#include <bit>
#include <charconv>
#include <string>
#include <vector>

#include "daemon/formats/lines.h"
#include "daemon/formats/statsd.h"
#include "tests/formats/recording_sink.h"

namespace ringest {
namespace {

using testing::OwnedPoint;
using testing::RecordingSink;

constexpr int64_t kNow = 1'700'000'000'123'456'789;

RecordingSink parse(std::string_view datagram) { return testing::parse_with<StatsdParser>(datagram, kNow); }

bool same_point(const OwnedPoint& a, const OwnedPoint& b) {
  if (a.measurement != b.measurement || a.tags != b.tags || a.time_ns != b.time_ns ||
      a.fields.size() != b.fields.size())
    return false;
  for (size_t i = 0; i < a.fields.size(); ++i) {
    const auto &x = a.fields[i], &y = b.fields[i];
    if (x.key != y.key || x.type != y.type || x.s != y.s || x.b != y.b ||
        std::bit_cast<uint64_t>(x.f) != std::bit_cast<uint64_t>(y.f))
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("statsd short path: what it takes is the point the full parse gives; the rest is the full parse's") {
  struct Case {
    std::string line;
    bool short_path;  // taken as a MetricView
  };
  const std::vector<Case> cases = {
      {"api.http.requests:3|c", true},
      {"a:1|c", true},
      {std::string(55, 'n') + ":1|c|@0.5", true},   // 64 bytes: the window
      {std::string(56, 'n') + ":1|c|@0.5", false},  // 65: the full parse's
      {std::string(59, 'n') + ":1|c\r", true},      // 64 and the '\r'
      {"a.very.long.metric.name.that.runs.past.sixteen.and.thirty.two.bytes:1|c", false},
      {"a:2.5|c|@0.1", true},
      {"a:1|c|@1", true},  // a rate of 1 is no field
      {"a:1|c|@1.0", true},
      {"a:+4|g", true},
      {"a:-4|g", true},
      {"a:4|g", true},
      {"a:-0|c", true},
      {"a:+10|c", true},
      {"a:1.5|ms", true},
      {"a:0|ms|@0.5", true},
      {"a:-3|h", true},
      {"a:alice|s", true},
      {"a:+10|s", true},
      {"a:-1|s", true},
      {"a:1e300|d", true},
      {"a:4.7E-5|d", true},
      {"a:9007199254740993|c", true},
      {"a:.5|c", true},
      {"a:1.|c", true},
      {"name,k=v:1|c", true},  // Telegraf's name stays the name
      {"a:1|c\r", true},
      // Left to the full parse, which takes them:
      {"a:1:2:3|d", false},
      {"a:1|c|#t:v", false},
      {"a:1|c|@0.5|#t:v", false},
      {"a:1|c|T1700000000", false},
      {"a:1|c|c:abc", false},
      {"a:1|c|", false},  // an empty section, skipped
      {"a:1|c|x", false},  // an unknown section, skipped
      {"a:1|c|@0.5|", false},
      {"_internal:1|c", false},  // a name starting with '_' (events, service checks) is the full parse's
      // ...and those it rejects:
      {"a:1|C", false},
      {"a:1|", false},
      {"a:|c", false},
      {":1|c", false},
      {"a|c", false},
      {"a:1", false},
      {"a:x|c", false},
      {"a:inf|c", false},
      {"a:nan|g", false},
      {"a:-1|ms", false},
      {"a:1|c|@0", false},
      {"a:1|c|@2", false},
      {"a:1|c|@", false},
      {"a:1|c|@-0.5", false},
      {"a:1|c|@+0.5", false},
      {"a:1|c|@0.5|@0.5", false},
      {"a:1 |c", false},
      {"a:++1|c", false},
      {"a:+-1|c", false},
      {"a:|s", false},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    RecordingSink got = parse(c.line);
    CHECK(got.metrics == (c.short_path ? 1u : 0u));
    if (!c.short_path) continue;  // the full parse's alone: nothing to compare with
    REQUIRE(got.points.size() == 1);
    // The full parse of the same line: with a tag section after it.
    const std::string line = c.line.back() == '\r' ? c.line.substr(0, c.line.size() - 1) : c.line;
    RecordingSink full = parse(line + "|#zz:1");
    CHECK(full.metrics == 0);
    REQUIRE(full.points.size() == 1);
    OwnedPoint want = full.points[0];
    REQUIRE(!want.tags.empty());
    CHECK(want.tags.front() == std::pair<std::string, std::string>{"zz", "1"});
    want.tags.erase(want.tags.begin());
    CHECK(same_point(got.points[0], want));
  }
}

TEST_CASE("statsd short path: the lines of a datagram are those of its lines parsed one by one") {
  // Datagrams of lines of every length around the 64-byte window, from
  // bytes the grammar splits at; each line alone gives the same points and
  // the same rejections (then numbered 1).
  uint64_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(seed >> 33);
  };
  // No '\r' inside lines: a line alone would lose a second one at its end.
  const std::string_view alphabet = "ab1.:|@#\n0-+cgms";
  for (int round = 0; round < 3000; ++round) {
    std::string datagram;
    const uint32_t lines = 1 + next() % 6;
    for (uint32_t l = 0; l < lines; ++l) {
      const uint32_t kind = next() % 4;
      std::string line;
      if (kind == 0) {  // a well-formed line of a random length around the window
        line = std::string(1 + next() % 70, 'n') + ":" + std::to_string(next() % 1000) + (next() % 2 ? "|c" : "|ms|@0.5");
      } else {
        const uint32_t len = next() % 80;
        for (uint32_t i = 0; i < len; ++i) line += alphabet[next() % alphabet.size()];
      }
      datagram += line;
      if (l + 1 < lines || next() % 2) datagram += next() % 4 ? "\n" : "\r\n";
    }
    INFO(datagram);
    RecordingSink whole = parse(datagram);
    std::vector<OwnedPoint> points;
    std::vector<std::pair<uint32_t, std::string>> rejects;
    LineCursor cursor(datagram);
    std::string_view line;
    uint32_t line_no = 0;
    while (cursor.next(line, line_no)) {
      RecordingSink alone = parse(std::string(line));  // a copy: nothing after it to read
      points.insert(points.end(), alone.points.begin(), alone.points.end());
      for (const auto& r : alone.rejects) rejects.emplace_back(line_no, r.text);
    }
    REQUIRE(whole.points.size() == points.size());
    for (size_t i = 0; i < points.size(); ++i) CHECK(same_point(whole.points[i], points[i]));
    REQUIRE(whole.rejects.size() == rejects.size());
    for (size_t i = 0; i < rejects.size(); ++i) {
      CHECK(whole.rejects[i].line == rejects[i].first);
      CHECK(whole.rejects[i].text == rejects[i].second);
    }
  }
}

TEST_CASE("statsd: a sample rate is the double std::from_chars reads, bit for bit") {
  for (const char* rate : {"0.1", "0.3", "0.7", "0.123456789012345", "0.999999999999999", "0.000001", "1", "1.0",
                           "0.5", "0.33", "0.0001220703125", "1e-3", ".25", "0.1234567890123456789"}) {
    INFO(rate);
    double want = 0;
    const std::string_view text(rate);
    REQUIRE(std::from_chars(text.data(), text.data() + text.size(), want).ec == std::errc());
    for (const std::string& line : {"a:1|c|@" + std::string(text), "a:1|c|#t|@" + std::string(text)}) {  // both paths
      RecordingSink s = parse(line);
      REQUIRE(s.points.size() == 1);
      const auto* f = s.points[0].field("sample_rate");
      if (want == 1.0) {
        CHECK(f == nullptr);
      } else {
        REQUIRE(f != nullptr);
        CHECK(std::bit_cast<uint64_t>(f->f) == std::bit_cast<uint64_t>(want));
      }
    }
  }
}

TEST_CASE("statsd short path: a datagram mixing both paths keeps its lines in order, line numbers and all") {
  RecordingSink s = parse("a:1|c\nb:1|c|#t:v\n\nc:x|c\nd:2|g\r\ne:1:2|d\n");
  CHECK(s.metrics == 2);
  REQUIRE(s.points.size() == 5);
  CHECK(s.points[0].measurement == "a");
  CHECK(s.points[1].measurement == "b");
  CHECK(s.points[2].measurement == "d");
  CHECK(s.points[3].measurement == "e");
  CHECK(s.points[4].measurement == "e");
  REQUIRE(s.rejects.size() == 1);
  CHECK(s.rejects[0].line == 4);
  CHECK(s.rejects[0].text == "c:x|c");
}

}  // namespace ringest
