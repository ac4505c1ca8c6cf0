// One named test per rule in the comment block at the top of statsd.cc.
#include "daemon/formats/statsd.h"

#include <doctest/doctest.h>

#include <charconv>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "tests/formats/recording_sink.h"

namespace ringest {
namespace {

using testing::OwnedPoint;
using testing::RecordingSink;

constexpr int64_t kNow = 1'700'000'000'123'456'789;

struct Run {
  RecordingSink sink;
  StatsdParser parser{ParserOptions{}};

  RecordingSink& operator()(std::string_view datagram) {
    sink.clear();
    parser.parse(datagram, ParseContext{kNow}, sink);
    return sink;
  }
};

std::string_view reason_name(const StatsdParser& p, uint16_t r) {
  return p.reasons()[r];
}

// The one reason a single bad line gets.
std::string_view rejected_as(std::string_view line) {
  Run run;
  RecordingSink& s = run(line);
  REQUIRE_MESSAGE(s.rejects.size() == 1, line);
  CHECK_MESSAGE(s.points.empty(), line);
  return reason_name(run.parser, s.rejects[0].reason);
}

const OwnedPoint& only_point(RecordingSink& s) {
  REQUIRE(s.rejects.empty());
  REQUIRE(s.points.size() == 1);
  return s.points[0];
}

TEST_CASE("statsd: reasons are snake_case, unique and match the enum") {
  StatsdParser p{ParserOptions{}};
  auto reasons = p.reasons();
  CHECK(reasons.size() == static_cast<size_t>(StatsdReason::kCount));
  std::set<std::string_view> seen;
  for (std::string_view r : reasons) {
    CHECK(!r.empty());
    CHECK(seen.insert(r).second);
    for (char c : r) CHECK(((c >= 'a' && c <= 'z') || c == '_'));
  }
  CHECK(reasons[static_cast<size_t>(StatsdReason::kInvalidEvent)] == "invalid_event");
  CHECK(reasons[static_cast<size_t>(StatsdReason::kInvalidEventField)] == "invalid_event_field");
  CHECK(reasons[static_cast<size_t>(StatsdReason::kMissingColon)] == "missing_colon");
}

TEST_CASE("statsd: counter maps to measurement, metric_type tag and float value") {
  Run run;
  const OwnedPoint& p = only_point(run("page.views:1|c"));
  CHECK(p.measurement == "page.views");
  REQUIRE(p.tags.size() == 1);
  CHECK(p.tags[0].first == "metric_type");
  CHECK(p.tags[0].second == "counter");
  REQUIRE(p.fields.size() == 1);
  CHECK(p.fields[0].key == "value");
  CHECK(p.fields[0].type == FieldType::kFloat);
  CHECK(p.fields[0].f == 1.0);
  CHECK(p.time_ns == kNow);
}

TEST_CASE("statsd: every type letter maps to its metric_type") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"x:1|c", "counter"},   {"x:1|g", "gauge"}, {"x:1|ms", "timing"},
      {"x:1|h", "histogram"}, {"x:1|s", "set"},   {"x:1|d", "distribution"},
  };
  for (auto [line, type] : cases) {
    Run run;
    const OwnedPoint& p = only_point(run(line));
    CHECK_MESSAGE(p.tag("metric_type") == std::string(type), line);
  }
}

TEST_CASE("statsd: numbers in the forms from_chars reads") {
  const std::pair<std::string_view, double> cases[] = {
      {"x:23.23|g", 23.23}, {"x:.5|h", 0.5},      {"x:1.|h", 1.0},    {"x:4.7E-5|c", 4.7e-5},
      {"x:0012|h", 12.0},   {"x:+10e1|c", 100.0}, {"x:-2.5|d", -2.5}, {"x:-0.0|ms", 0.0},
  };
  for (auto [line, v] : cases) {
    Run run;
    const OwnedPoint& p = only_point(run(line));
    CHECK_MESSAGE(p.field("value")->f == doctest::Approx(v), line);
  }
}

TEST_CASE("statsd: every decimal value is the double from_chars reads, bit for bit") {
  // Short decimals take a fast path; longer ones, exponents and the rest go
  // to from_chars. Both must agree exactly, around the 15-digit edge too.
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<std::string> values{"0", "-0", "0.0", "-0.0", "1", "9007199254740993", "999999999999999",
                                  "9999999999999999", "0.000000000000001", "123456789.123456", "1.5", "-1.5"};
  for (int i = 0; i < 20000; ++i) {
    std::string digits = std::to_string(next() % 10'000'000'000'000'000'000ull).substr(0, 1 + next() % 18);
    size_t dot = next() % (digits.size() + 1);
    std::string v = (next() & 1 ? "-" : "") + digits;
    if (dot > 0 && dot < digits.size()) v.insert(v.size() - digits.size() + dot, ".");
    values.push_back(v);
  }
  for (const std::string& v : values) {
    double want = 0;
    REQUIRE(std::from_chars(v.data(), v.data() + v.size(), want).ec == std::errc());
    Run run;
    const OwnedPoint& p = only_point(run("x:" + v + "|g"));
    double got = p.field("value")->f;
    CHECK_MESSAGE(std::memcmp(&got, &want, sizeof got) == 0, v);
  }
}

TEST_CASE("statsd: the name ends at the first ':' wherever it falls, and a '|' before it is a missing colon") {
  // The name is scanned eight bytes at a time: every length and position.
  for (size_t n = 1; n <= 40; ++n) {
    std::string name;
    for (size_t i = 0; i < n; ++i) name += i % 3 == 0 ? static_cast<char>(0xC3 + i % 2) : static_cast<char>('a' + i % 26);
    Run run;
    const OwnedPoint& p = only_point(run(name + ":1|c"));
    CHECK(p.measurement == name);
    CHECK(rejected_as(name + "|c") == "missing_colon");
    for (size_t at = 0; at < n; ++at) {
      std::string with_bar = name;
      with_bar[at] = '|';
      CHECK_MESSAGE(rejected_as(with_bar + ":1|c") == "missing_colon", with_bar);
      // A ':' earlier in the name ends it there: what follows is no number.
      std::string early = name;
      early[at] = ':';
      CHECK_MESSAGE(rejected_as(early + ":1|c") == (at == 0 ? "empty_name" : "invalid_value"), early);
    }
  }
}

TEST_CASE("statsd: invalid values are rejected") {
  for (std::string_view line :
       {"x:|c", "x:abc|c", "x:1d1|c", "x:12.89.23|g", "x:12.89g|g", "x:1 |g", "x: 1|g", "x:0,5|ms", "x:inf|g",
        "x:nan|c", "x:+|c", "x:++1|c", "x:+-1|c", "x:0x10|c", "x:1e400|g", "x:1::2|d"}) {
    CHECK_MESSAGE(rejected_as(line) == "invalid_value", line);
  }
}

TEST_CASE("statsd: structure errors have their own reasons") {
  CHECK(rejected_as("no.colon|c") == "missing_colon");
  CHECK(rejected_as("no.colon.at.all") == "missing_colon");
  CHECK(rejected_as("x|c|#a:b") == "missing_colon");
  CHECK(rejected_as(":1|c") == "empty_name");
  CHECK(rejected_as("x:1") == "missing_type");
  CHECK(rejected_as("x:1|") == "missing_type");
  CHECK(rejected_as("x:1||@0.5") == "missing_type");
  CHECK(rejected_as("x:1|a") == "unknown_type");
  CHECK(rejected_as("x:1|C") == "unknown_type");
  CHECK(rejected_as("x:1|msdos") == "unknown_type");
  CHECK(rejected_as("x:1|m") == "unknown_type");
}

TEST_CASE("statsd: sample rate is a field only when given and not 1") {
  Run run;
  const OwnedPoint& p = only_point(run("x:1|c|@0.1"));
  REQUIRE(p.field("sample_rate") != nullptr);
  CHECK(p.field("sample_rate")->type == FieldType::kFloat);
  CHECK(p.field("sample_rate")->f == doctest::Approx(0.1));
  CHECK(only_point(run("x:1|c|@1")).field("sample_rate") == nullptr);
  CHECK(only_point(run("x:1|c|@1.0")).field("sample_rate") == nullptr);
  CHECK(only_point(run("x:1|c")).field("sample_rate") == nullptr);
  CHECK(only_point(run("x:1|ms|@2e-1")).field("sample_rate")->f == doctest::Approx(0.2));
  CHECK(only_point(run("x:1|ms|@.25")).field("sample_rate")->f == doctest::Approx(0.25));
}

TEST_CASE("statsd: sample rates outside (0, 1] or malformed are rejected") {
  for (std::string_view line :
       {"x:1|c|@", "x:1|c|@0", "x:1|c|@0.0", "x:1|c|@-0.5", "x:1|c|@2", "x:1|c|@1.23", "x:1|c|@.",
        "x:1|c|@0.1.1", "x:1|c|@0.1@", "x:1|c|@foo", "x:1|c|@+0.5", "x:1|c|@nan"}) {
    CHECK_MESSAGE(rejected_as(line) == "invalid_sample_rate", line);
  }
}

TEST_CASE("statsd: gauge with a sign is a delta, without one it is absolute") {
  Run run;
  const OwnedPoint& up = only_point(run("g:+4|g"));
  CHECK(up.field("value")->f == 4.0);
  REQUIRE(up.field("delta") != nullptr);
  CHECK(up.field("delta")->type == FieldType::kBool);
  CHECK(up.field("delta")->b);
  const OwnedPoint& down = only_point(run("g:-10|g"));
  CHECK(down.field("value")->f == -10.0);
  REQUIRE(down.field("delta") != nullptr);
  CHECK(down.field("delta")->b);
  CHECK(only_point(run("g:333|g")).field("delta") == nullptr);
}

TEST_CASE("statsd: a sign on a non-gauge is the number's sign, not a delta") {
  Run run;
  const OwnedPoint& c = only_point(run("c:-10|c"));
  CHECK(c.field("value")->f == -10.0);
  CHECK(c.field("delta") == nullptr);
  CHECK(only_point(run("c:+10|c")).field("value")->f == 10.0);
  CHECK(only_point(run("t:+1|ms")).field("delta") == nullptr);
  CHECK(only_point(run("h:-3|h")).field("value")->f == -3.0);
  CHECK(only_point(run("s:+10|s")).field("value")->s == "+10");
}

TEST_CASE("statsd: negative timings are rejected") {
  CHECK(rejected_as("t:-1|ms") == "negative_timing");
  CHECK(rejected_as("t:-0.5|ms") == "negative_timing");
  CHECK(rejected_as("t:1:-1|ms") == "negative_timing");
}

TEST_CASE("statsd: a set member is a string field, kept as sent") {
  Run run;
  const OwnedPoint& p = only_point(run("uniques:765|s"));
  CHECK(p.tag("metric_type") == std::string("set"));
  REQUIRE(p.field("value") != nullptr);
  CHECK(p.field("value")->type == FieldType::kString);
  CHECK(p.field("value")->s == "765");
  CHECK(only_point(run("users:alice@example.com|s")).field("value")->s == "alice@example.com");
}

TEST_CASE("statsd: dogstatsd tags in order, bare tags empty, then metric_type") {
  Run run;
  const OwnedPoint& p = only_point(run("my_counter:1|c|#host:localhost,live,endpoint:/:tenant?/oauth/ro"));
  REQUIRE(p.tags.size() == 4);
  CHECK(p.tags[0] == std::pair<std::string, std::string>{"host", "localhost"});
  CHECK(p.tags[1] == std::pair<std::string, std::string>{"live", ""});
  CHECK(p.tags[2] == std::pair<std::string, std::string>{"endpoint", "/:tenant?/oauth/ro"});
  CHECK(p.tags[3] == std::pair<std::string, std::string>{"metric_type", "counter"});
}

TEST_CASE("statsd: empty tag items are skipped, an empty key is rejected") {
  Run run;
  CHECK(only_point(run("cpu:42|c|#")).tags.size() == 1);
  CHECK(only_point(run("cpu:42|c|#a:1,,b:2,")).tags.size() == 3);
  CHECK(rejected_as("cpu:42|c|#:v") == "invalid_tag");
  CHECK(rejected_as("cpu:42|c|#a:1,:v") == "invalid_tag");
}

TEST_CASE("statsd: too many tags") {
  std::string line = "x:1|c|#";
  for (size_t i = 0; i < StatsdParser::kMaxTags; ++i) line += "t" + std::to_string(i) + ":v,";
  Run run;
  CHECK(only_point(run(line)).tags.size() == StatsdParser::kMaxTags + 1);
  line += "one:more";
  CHECK(rejected_as(line) == "too_many_tags");
}

TEST_CASE("statsd: timestamp section sets the time, else receive time") {
  Run run;
  CHECK(only_point(run("x:1|c|T1656581400")).time_ns == 1'656'581'400'000'000'000);
  CHECK(only_point(run("x:1|c|T0")).time_ns == 0);
  CHECK(only_point(run("x:1|c")).time_ns == kNow);
  for (std::string_view line : {"x:1|c|T", "x:1|c|T-5", "x:1|c|T12a", "x:1|c|T1.5",
                                "x:1|c|T99999999999999999999", "x:1|c|T9223372037"}) {
    CHECK_MESSAGE(rejected_as(line) == "invalid_timestamp", line);
  }
}

TEST_CASE("statsd: container id becomes a field; tags are the DogStatsD tags plus metric_type") {
  Run run;
  const OwnedPoint& p = only_point(run("x:1|g|#env:prod|c:83c0a99c0a54"));
  REQUIRE(p.tags.size() == 2);
  CHECK(p.tags[0].first == "env");
  CHECK(p.tags[1].first == "metric_type");
  CHECK(p.field("container_id")->s == "83c0a99c0a54");
  CHECK(rejected_as("x:1|g|c:") == "invalid_container_id");
}

TEST_CASE("statsd: optional sections in any order") {
  Run run;
  for (std::string_view line : {"x:2|ms|@0.5|#a:b|T1000|c:cid", "x:2|ms|c:cid|T1000|#a:b|@0.5",
                                "x:2|ms|#a:b|c:cid|@0.5|T1000", "x:2|ms|T1000|@0.5|c:cid|#a:b"}) {
    const OwnedPoint& p = only_point(run(line));
    CHECK_MESSAGE(p.field("sample_rate")->f == 0.5, line);
    CHECK_MESSAGE(p.time_ns == 1'000'000'000'000, line);
    CHECK_MESSAGE(p.tag("a") == std::string("b"), line);
    CHECK_MESSAGE(p.field("container_id")->s == "cid", line);
    CHECK_MESSAGE(p.tags.back().first == "metric_type", line);
  }
}

// The skip names a run recorded, in order.
std::vector<std::string> skipped_as(Run& run) {
  std::vector<std::string> out;
  for (uint16_t k : run.sink.skips) out.emplace_back(run.parser.skips()[k]);
  return out;
}

TEST_CASE("statsd: unknown and empty sections are skipped and counted by first byte, the line kept") {
  Run run;
  using V = std::vector<std::string>;
  struct Case {
    const char* line;
    V skipped;
  };
  for (const Case& c : {Case{"x:1|c|0.1", V{"unknown_section_other"}}, Case{"x:1|c|", V{"unknown_section_empty"}},
                        Case{"x:1|c|@0.5|", V{"unknown_section_empty"}}, Case{"x:1|c|blah", V{"unknown_section_b"}},
                        Case{"x:1|c|cid", V{"unknown_section_c"}}, Case{"x:1|c|ex", V{"unknown_section_e"}},
                        Case{"x:1|c|Zq:1|#a:b|x:2", V{"unknown_section_Z", "unknown_section_x"}},
                        Case{"x:1|c|x:1|x:1", V{"unknown_section_x", "unknown_section_x"}}}) {
    const OwnedPoint& p = only_point(run(c.line));
    CHECK_MESSAGE(p.measurement == "x", c.line);
    CHECK_MESSAGE(p.field("value")->f == 1, c.line);
    CHECK_MESSAGE(skipped_as(run) == c.skipped, c.line);
  }
  const OwnedPoint& p = only_point(run("x:1|c|@0.5|q:1|#a:b"));  // the known ones around it still apply
  CHECK(p.field("sample_rate")->f == 0.5);
  CHECK(p.tag("a") == std::string("b"));
  // At most kMaxSkipsCounted a line are counted; the line is kept all the same.
  std::string many = "x:1|c";
  for (int i = 0; i < 40; ++i) many += "|q";
  only_point(run(many));
  CHECK(run.sink.skips.size() == StatsdParser::kMaxSkipsCounted);
  // A rejected line counts no skips: the rejection counts it.
  CHECK(run("x:1|c|q|@7").rejects.size() == 1);
  CHECK(run.sink.skips.empty());
}

TEST_CASE("statsd: e: and card: are kept as fields, as the agent names them") {
  Run run;
  const OwnedPoint& p = only_point(run("x:1|c|card:high|#a:b|e:it-false,cn-app,pu-1234|c:ci-9"));
  CHECK(p.field("external_data")->s == "it-false,cn-app,pu-1234");
  CHECK(p.field("cardinality")->s == "high");
  CHECK(p.field("container_id")->s == "ci-9");
  CHECK(run.sink.skips.empty());
  CHECK(rejected_as("x:1|c|e:a|e:b") == "duplicate_section");
  CHECK(rejected_as("x:1|c|card:low|card:high") == "duplicate_section");
}

TEST_CASE("statsd: repeated known sections are rejected") {
  CHECK(rejected_as("x:1|c|@0.5|@0.5") == "duplicate_section");
  CHECK(rejected_as("x:1|c|#a|#b") == "duplicate_section");
  CHECK(rejected_as("x:1|c|T1|T2") == "duplicate_section");
  CHECK(rejected_as("x:1|c|c:a|c:b") == "duplicate_section");
}

TEST_CASE("statsd: multi-value line gives one point per value, same tags") {
  Run run;
  RecordingSink& s = run("lat:1:2.5:3|d|#a:b|@0.5");
  REQUIRE(s.rejects.empty());
  REQUIRE(s.points.size() == 3);
  const double want[] = {1.0, 2.5, 3.0};
  for (size_t i = 0; i < 3; ++i) {
    CHECK(s.points[i].measurement == "lat");
    CHECK(s.points[i].field("value")->f == want[i]);
    CHECK(s.points[i].field("sample_rate")->f == 0.5);
    CHECK(s.points[i].tag("a") == std::string("b"));
  }
  RecordingSink& g = run("g:1:+2|g");
  REQUIRE(g.points.size() == 2);
  CHECK(g.points[0].field("delta") == nullptr);
  CHECK(g.points[1].field("delta") != nullptr);
}

TEST_CASE("statsd: a multi-value line with one bad value emits nothing") {
  CHECK(rejected_as("lat:1:x:3|d") == "invalid_value");
  CHECK(rejected_as("lat:1:2:|d") == "invalid_value");
}

TEST_CASE("statsd: too many values") {
  std::string line = "x:1";
  for (size_t i = 1; i < StatsdParser::kMaxValues; ++i) line += ":1";
  Run run;
  CHECK(run(line + "|d").points.size() == StatsdParser::kMaxValues);
  CHECK(rejected_as(line + ":1|d") == "too_many_values");
}

TEST_CASE("statsd: line too long is rejected whole") {
  std::string ok = "x:1|c|#t:" + std::string(StatsdParser::kMaxLineBytes - 9, 'v');
  REQUIRE(ok.size() == StatsdParser::kMaxLineBytes);
  Run run;
  CHECK(run(ok).points.size() == 1);
  CHECK(rejected_as(ok + "v") == "line_too_long");
}

TEST_CASE("statsd: a name starting with an underscore is a metric") {
  Run run;
  // A metric whose name merely starts with '_' is a metric.
  CHECK(only_point(run("_internal:1|c")).measurement == "_internal");
}

TEST_CASE("statsd: lines split on LF, CRLF tolerated, empty lines skipped") {
  Run run;
  RecordingSink& s = run("a:1|c\r\n\nb:2|g\r\n\r\nc:3|ms\n");
  CHECK(s.rejects.empty());
  REQUIRE(s.points.size() == 3);
  CHECK(s.points[0].measurement == "a");
  CHECK(s.points[1].measurement == "b");
  CHECK(s.points[2].measurement == "c");
  CHECK(s.points[2].field("value")->f == 3.0);
  CHECK(run("").points.empty());
  CHECK(run("\n\r\n\n").rejects.empty());
}

TEST_CASE("statsd: a datagram mixing good and bad lines keeps the good, counts each bad") {
  Run run;
  RecordingSink& s =
      run("good.one:1|c\n"           // 1
          "bad.colon|c\n"            // 2
          "good.two:2|g|#k:v\n"      // 3
          "\n"                       // 4 (skipped)
          "bad.value:abc|c\r\n"      // 5
          "bad.type:1|zz\n"          // 6
          "_e{2,1}:a|b\n"            // 7
          "good.three:3:4|d|@0.5\n"  // 8
          "bad.rate:1|c|@7");        // 9
  REQUIRE(s.points.size() == 4);
  CHECK(s.points[0].measurement == "good.one");
  CHECK(s.points[1].measurement == "good.two");
  CHECK(s.points[2].measurement == "good.three");
  CHECK(s.points[3].field("value")->f == 4.0);
  REQUIRE(s.rejects.size() == 5);
  const std::tuple<uint32_t, std::string_view, std::string_view> want[] = {
      {2, "missing_colon", "bad.colon|c"},           {5, "invalid_value", "bad.value:abc|c"},
      {6, "unknown_type", "bad.type:1|zz"},          {7, "invalid_event", "_e{2,1}:a|b"},
      {9, "invalid_sample_rate", "bad.rate:1|c|@7"},
  };
  for (size_t i = 0; i < 5; ++i) {
    CHECK(s.rejects[i].line == std::get<0>(want[i]));
    CHECK(reason_name(run.parser, s.rejects[i].reason) == std::get<1>(want[i]));
    CHECK(s.rejects[i].text == std::get<2>(want[i]));
  }
}

TEST_CASE("statsd: the parser is reusable and does not carry state between lines") {
  Run run;
  RecordingSink& s = run("a:1|c|#x:1,y:2|@0.5|T5|c:cid\nb:2|c");
  REQUIRE(s.points.size() == 2);
  const OwnedPoint& b = s.points[1];
  REQUIRE(b.tags.size() == 1);
  CHECK(b.field("sample_rate") == nullptr);
  CHECK(b.time_ns == kNow);
}

}  // namespace
}  // namespace ringest
