// RFC 3164 and RFC 5424 rules the vectors do not cover: year inference
// around New Year, the Telegraf mapping of a full message, limits.
#include "daemon/formats/syslog.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/formats/recording_sink.h"

namespace ringest {
namespace {

using testing::RecordingSink;

constexpr int64_t kSec = 1'000'000'000;
// Unix seconds of 00:00:00 UTC on the given day.
int64_t day_ns(int y, int m, int d) {
  return syslog_detail::days_from_civil(y, m, d) * 86400 * kSec;
}

RecordingSink parse3164(std::string_view msg, int64_t receive_ns) {
  Rfc3164Parser p{ParserOptions{}};
  RecordingSink s;
  p.parse(msg, ParseContext{receive_ns}, s);
  return s;
}

TEST_CASE("rfc3164: the year is the one closest to the receive time, across New Year") {
  // Sent on 31 December, received just after midnight on 1 January 2027.
  auto s = parse3164("<13>Dec 31 23:59:58 host app: late", day_ns(2027, 1, 1) + 1 * kSec);
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].time_ns == day_ns(2026, 12, 31) + (86400 - 2) * kSec);
  // A sender a little ahead: "Jan  1" received on 31 December is next year's.
  s = parse3164("<13>Jan  1 00:00:03 host app: early", day_ns(2026, 12, 31) + 86399 * kSec);
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].time_ns == day_ns(2027, 1, 1) + 3 * kSec);
  // Mid-year: this year.
  s = parse3164("<13>Jun 15 12:00:00 host app: now", day_ns(2026, 6, 15));
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].time_ns == day_ns(2026, 6, 15) + 12 * 3600 * kSec);
}

TEST_CASE("rfc3164: logger without a hostname, trailing NUL, procid") {
  auto s = parse3164(std::string("<13>Sep 12 19:16:12 logger[42]: test message\0", 46), day_ns(2026, 9, 12));
  REQUIRE(s.points.size() == 1);
  const auto& p = s.points[0];
  CHECK_FALSE(p.tag("hostname").has_value());
  CHECK(p.tag("appname") == "logger");
  CHECK(p.field("procid")->s == "42");
  CHECK(p.field("message")->s == "test message");
  CHECK(p.tag("severity") == "notice");
  CHECK(p.tag("facility") == "user");
}

TEST_CASE("rfc3164: rsyslog forwarding format with an RFC 3339 time") {
  auto s = parse3164("<13>2013-09-12T19:16:34.457849+04:00 localhost rsyslogd: hi", 0);
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].tag("hostname") == "localhost");
  CHECK(s.points[0].tag("appname") == "rsyslogd");
  CHECK(s.points[0].time_ns == day_ns(2013, 9, 12) + (15 * 3600 + 16 * 60 + 34) * kSec + 457'849'000);
}

TEST_CASE("rfc3164: a bad priority or time is rejected with its reason") {
  Rfc3164Parser p{ParserOptions{}};
  RecordingSink s;
  p.parse("<300>Jan  1 00:00:00 h a: m", ParseContext{0}, s);
  p.parse("<13>Foo  1 00:00:00 h a: m", ParseContext{0}, s);
  p.parse("<13>Feb 30 00:00:00 h a: m", ParseContext{day_ns(2026, 2, 1)}, s);
  REQUIRE(s.rejects.size() == 3);
  CHECK(p.reasons()[s.rejects[0].reason] == "invalid_priority");
  CHECK(p.reasons()[s.rejects[1].reason] == "invalid_timestamp");
  CHECK(p.reasons()[s.rejects[2].reason] == "invalid_timestamp");
}

TEST_CASE("rfc5424: Telegraf's mapping of a full message") {
  Rfc5424Parser p{ParserOptions{}};
  RecordingSink s;
  p.parse(R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 )"
          R"([exampleSDID@32473 iut="3" eventSource="Appl\]ication"][flag] An application event)",
          ParseContext{7}, s);
  REQUIRE(s.points.size() == 1);
  const auto& pt = s.points[0];
  CHECK(pt.measurement == "syslog");
  CHECK(pt.tag("severity") == "notice");
  CHECK(pt.tag("facility") == "local4");
  CHECK(pt.tag("hostname") == "mymachine.example.com");
  CHECK(pt.tag("appname") == "evntslog");
  CHECK(pt.field("version")->i == 1);
  CHECK(pt.field("severity_code")->i == 5);
  CHECK(pt.field("facility_code")->i == 20);
  CHECK(pt.field("procid")->s == "1234");
  CHECK(pt.field("msgid")->s == "ID47");
  CHECK(pt.field("message")->s == "An application event");
  CHECK(pt.field("exampleSDID@32473_iut")->s == "3");
  CHECK(pt.field("exampleSDID@32473_eventSource")->s == "Appl]ication");
  CHECK(pt.field("flag")->b);
  const int64_t t = day_ns(2003, 10, 11) + (22 * 3600 + 14 * 60 + 15) * kSec + 3'000'000;
  CHECK(pt.field("timestamp")->i == t);
  CHECK(pt.time_ns == t);
}

TEST_CASE("rfc5424: a time beyond int64 nanoseconds is rejected, not wrapped (found by fuzz_rfc5424)") {
  Rfc5424Parser p{ParserOptions{}};
  RecordingSink s;
  p.parse("<78>5 2610-01-15T00:04:01+00:00 host1 CROND 10391 - [sdid] some_message", ParseContext{0}, s);
  p.parse("<78>5 2262-04-11T23:47:16.854775Z h a - - -", ParseContext{0}, s);
  p.parse("<78>5 2262-04-11T23:47:16.854776Z h a - - -", ParseContext{0}, s);
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].time_ns == 9'223'372'036'854'775'000);
  REQUIRE(s.rejects.size() == 2);
  CHECK(p.reasons()[s.rejects[0].reason] == "invalid_timestamp");
}

TEST_CASE("rfc5424: a message without a time takes the receive time; 2048-byte messages pass") {
  Rfc5424Parser p{ParserOptions{}};
  RecordingSink s;
  std::string msg = "<14>1 - host app - - - " + std::string(4000, 'x');
  p.parse(msg, ParseContext{99}, s);
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].time_ns == 99);
  CHECK(s.points[0].field("timestamp") == nullptr);
  CHECK(s.points[0].field("message")->s.size() == 4000);
}

TEST_CASE("syslog: the auto format picks the grammar per datagram") {
  SyslogParser p{ParserOptions{}};
  RecordingSink s;
  p.parse("<14>1 - host app - - - five", ParseContext{0}, s);
  p.parse("<14>Jan  1 00:00:00 host app: three", ParseContext{0}, s);
  p.parse("<14>nonsense", ParseContext{0}, s);
  REQUIRE(s.points.size() == 2);
  CHECK(s.points[0].field("version") != nullptr);
  CHECK(s.points[1].field("version") == nullptr);
  REQUIRE(s.rejects.size() == 1);
  CHECK(p.reasons()[s.rejects[0].reason] == "invalid_timestamp");
}

}  // namespace
}  // namespace ringest
