// Graphite: every row of vectors/graphite (carbon and graphite-web tests),
// then the cases the vectors leave out (scientific notation, negatives,
// spaces, CRLF, fractions, limits).
#include "daemon/formats/graphite.h"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "tests/formats/recording_sink.h"
#include "tests/support/json.h"

namespace ringest {
namespace {

using testing::Json;
using testing::RecordingSink;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

RecordingSink run(std::string_view datagram) { return testing::parse_with<GraphiteParser>(datagram, kNow); }

std::string_view reason(const RecordingSink& s, size_t i) {
  static GraphiteParser p{ParserOptions{}};
  return p.reasons()[s.rejects.at(i).reason];
}

TEST_CASE("graphite: conformance vectors") {
  std::ifstream in(std::string(RINGEST_VECTORS_DIR) + "/graphite/carbon_graphite.jsonl");
  REQUIRE(in.good());
  std::string text;
  size_t rows = 0;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    auto row = testing::parse_json(text);
    REQUIRE(row.has_value());
    std::string input = row->find("input")->str;
    if (const Json* b = row->find("input_b64")) input = *testing::decode_base64(b->str);
    ++rows;
    CAPTURE(input);
    RecordingSink s = run(input);
    if (const Json* err = row->find("error"); err && err->b) {
      CHECK(s.points.empty());
      CHECK(s.rejects.size() == 1);
    } else if (const Json* d = row->find("expect_dropped"); d && d->b) {
      CHECK(s.points.empty());
      REQUIRE(s.rejects.size() == 1);
      CHECK(reason(s, 0) == "nan_value");
    } else {
      const Json& expect = *row->find("expect");
      REQUIRE(s.points.size() == expect.items.size());
      for (size_t i = 0; i < expect.items.size(); ++i) {
        const Json& e = expect.items[i];
        const auto& p = s.points[i];
        CHECK(p.measurement == e.find("path")->str);
        CHECK(p.field("value")->f == e.find("value")->num);
        const int64_t ts = static_cast<int64_t>(e.find("timestamp")->num);
        CHECK(p.time_ns == (ts == -1 ? kNow : ts * 1'000'000'000));
        size_t want_tags = 0;
        if (const Json* tags = e.find("tags")) {
          for (const auto& [k, v] : tags->members) {
            if (k == "name") continue;  // carbon's name tag is the measurement
            ++want_tags;
            CHECK(p.tag(k) == v.str);
          }
        }
        CHECK(p.tags.size() == want_tags);
      }
    }
  }
  CHECK(rows == 14);
}

TEST_CASE("graphite: numbers, spacing and line ends") {
  RecordingSink s = run("a.b 1.5e3 1700000000\r\n  c.d\t-2   1700000001  \n\ne -0.25 1700000002.5\n");
  REQUIRE(s.points.size() == 3);
  CHECK(s.rejects.empty());
  CHECK(s.points[0].field("value")->f == 1500);
  CHECK(s.points[0].time_ns == 1'700'000'000'000'000'000);
  CHECK(s.points[1].measurement == "c.d");
  CHECK(s.points[1].field("value")->f == -2);
  CHECK(s.points[2].time_ns == 1'700'000'002'500'000'000);
}

TEST_CASE("graphite: bad lines are counted by reason, good ones kept") {
  RecordingSink s =
      run("ok 1 1\nno.time 1\nx abc 1\nx inf 1\nx NaN 1\nx 1 -5\nx 1 soon\nx;=v 1 1\nx;k=~v 1 1\n"
          "x;k=1;k=2 1 1\nx 1 1 extra\nalso.ok 2 2");
  REQUIRE(s.points.size() == 2);
  CHECK(s.points[1].measurement == "also.ok");
  REQUIRE(s.rejects.size() == 10);
  const char* want[] = {"invalid_line",      "invalid_value",     "invalid_value", "nan_value",
                        "invalid_timestamp", "invalid_timestamp", "invalid_tag",   "invalid_tag",
                        "invalid_tag",       "invalid_line"};
  for (size_t i = 0; i < 10; ++i) CHECK(reason(s, i) == want[i]);
  CHECK(s.rejects[0].line == 2);
  CHECK(s.rejects[0].text == "no.time 1");
}

}  // namespace
}  // namespace ringest
