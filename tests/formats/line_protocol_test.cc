// Line protocol rules the corpus does not pin down for ringest: precision
// scaling and the truncated receive time, rejection reasons and line numbers
// in a mixed datagram, and a string field spanning lines.
#include "daemon/formats/line_protocol.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/formats/recording_sink.h"

namespace ringest {
namespace {

using testing::RecordingSink;

constexpr int64_t kNow = 1'700'000'000'123'456'789;

RecordingSink run(std::string_view d, int64_t precision_ns = 1) {
  LineProtocolParser p{ParserOptions{precision_ns}};
  RecordingSink s;
  p.parse(d, ParseContext{kNow}, s);
  return s;
}

std::string_view reason(uint16_t r) {
  static LineProtocolParser p{ParserOptions{}};
  return p.reasons()[r];
}

TEST_CASE("line protocol: precision scales timestamps and truncates the receive time") {
  CHECK(run("m f=1 1700000000", 1'000'000'000).points.at(0).time_ns == 1'700'000'000'000'000'000);
  CHECK(run("m f=1 1700000000123", 1'000'000).points.at(0).time_ns == 1'700'000'000'123'000'000);
  CHECK(run("m f=1 5", 1'000).points.at(0).time_ns == 5'000);
  CHECK(run("m f=1", 1'000'000'000).points.at(0).time_ns == 1'700'000'000'000'000'000);
  CHECK(run("m f=1", 1'000'000).points.at(0).time_ns == 1'700'000'000'123'000'000);
  CHECK(run("m f=1").points.at(0).time_ns == kNow);
  RecordingSink s = run("m f=1 9223372037", 1'000'000'000);  // beyond int64 ns
  REQUIRE(s.rejects.size() == 1);
  CHECK(reason(s.rejects[0].reason) == "timestamp_out_of_range");
}

TEST_CASE("line protocol: a mixed datagram keeps the good lines and names each bad one") {
  RecordingSink s =
      run("good,a=1 v=1\n"            // 1
          "# a comment\n"             // 2
          "nofield\n"                 // 3
          "bad,t=1,t=2 v=1\n"         // 4
          "\n"                        // 5
          "str s=\"two\nlines\" 7\n"  // 6-7
          "bad v=1x\n"                // 8
          "bad v=\"open\n");          // 9
  REQUIRE(s.points.size() == 2);
  CHECK(s.points[0].measurement == "good");
  CHECK(s.points[1].field("s")->s == "two\nlines");
  CHECK(s.points[1].time_ns == 7);
  REQUIRE(s.rejects.size() == 4);
  CHECK(reason(s.rejects[0].reason) == "missing_field");
  CHECK(s.rejects[0].line == 3);
  CHECK(s.rejects[0].text == "nofield");
  CHECK(reason(s.rejects[1].reason) == "duplicate_tag");
  CHECK(s.rejects[1].line == 4);
  CHECK(reason(s.rejects[2].reason) == "invalid_field_value");
  CHECK(s.rejects[2].line == 8);
  CHECK(reason(s.rejects[3].reason) == "unterminated_string");
  CHECK(s.rejects[3].line == 9);
}

TEST_CASE("line protocol: escapes are undone in every element") {
  RecordingSink s = run("my\\ m\\,x,t\\=k=v\\ 1 f\\,k=\"a\\\"b\\\\c\\nd\",g=-1.5e3,u=7u,b=FALSE");
  REQUIRE(s.rejects.empty());
  const auto& p = s.points.at(0);
  CHECK(p.measurement == "my m,x");
  CHECK(p.tag("t=k") == "v 1");
  CHECK(p.field("f,k")->s == "a\"b\\c\nd");
  CHECK(p.field("g")->f == -1500);
  CHECK(p.field("u")->u == 7);
  CHECK(p.field("b")->type == FieldType::kBool);
  CHECK_FALSE(p.field("b")->b);
}

TEST_CASE("line protocol: an entry whose text outgrows the scratch buffer is rejected, not overrun") {
  // Only possible beyond a UDP datagram's size (ringestd parse of a big file):
  // a string spanning many lines, full of escapes.
  std::string d = "m s=\"";
  while (d.size() < 2 * LineProtocolParser::kMaxEntryBytes) d += "\\\"x\n";
  d += "\"";
  RecordingSink s = run(d);
  CHECK(s.points.empty());
  REQUIRE(s.rejects.size() == 1);
  CHECK(reason(s.rejects[0].reason) == "entry_too_long");
}

}  // namespace
}  // namespace ringest
