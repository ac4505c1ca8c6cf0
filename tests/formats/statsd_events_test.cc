// DogStatsD events ("_e{...}") and service checks ("_sc|..."): the rules at
// the top of daemon/formats/statsd.cc.
#include <doctest/doctest.h>

#include <string>

#include "daemon/formats/statsd.h"
#include "tests/formats/recording_sink.h"

namespace ringest {
namespace {

using testing::OwnedPoint;
using testing::RecordingSink;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

struct Run {
  StatsdParser parser{ParserOptions{}};
  RecordingSink sink;
  RecordingSink& operator()(std::string_view datagram) {
    sink.clear();
    parser.parse(datagram, ParseContext{kNow}, sink);
    return sink;
  }
};

std::string rejected_as(std::string_view line) {
  Run run;
  RecordingSink& s = run(line);
  if (s.rejects.size() != 1 || !s.points.empty()) return "(accepted)";
  return std::string(run.parser.reasons()[s.rejects[0].reason]);
}

TEST_CASE("dogstatsd event: title and text by byte length, every optional field") {
  Run run;
  // "héllo" is 6 UTF-8 bytes; the text holds a '|' and an escaped newline.
  RecordingSink& s =
      run("_e{6,10}:héllo|a|b\\nline2|d:1700000001|h:web1|p:low|t:error|k:agg|s:src|"
          "#env:prod,solo|c:cid");
  REQUIRE(s.rejects.empty());
  REQUIRE(s.points.size() == 1);
  const OwnedPoint& p = s.points[0];
  CHECK(p.measurement == "statsd_event");
  REQUIRE(p.tags.size() == 2);
  CHECK(p.tag("env") == "prod");
  CHECK(p.tag("solo") == "");
  CHECK(p.field("title")->s == "héllo");
  CHECK(p.field("text")->s == "a|b\nline2");
  CHECK(p.field("hostname")->s == "web1");
  CHECK(p.field("priority")->s == "low");
  CHECK(p.field("alert_type")->s == "error");
  CHECK(p.field("aggregation_key")->s == "agg");
  CHECK(p.field("source_type_name")->s == "src");
  CHECK(p.field("container_id")->s == "cid");
  CHECK(p.time_ns == 1'700'000'001'000'000'000);
}

TEST_CASE("dogstatsd event: defaults, sections in any order") {
  Run run;
  const OwnedPoint p = run("_e{5,4}:title|text").points.at(0);
  CHECK(p.field("priority")->s == "normal");
  CHECK(p.field("alert_type")->s == "info");
  CHECK(p.field("hostname") == nullptr);
  CHECK(p.time_ns == kNow);
  CHECK(p.tags.empty());
  const OwnedPoint q = run("_e{1,0}:t||#a:b|p:low|d:5").points.at(0);
  CHECK(q.field("text")->s.empty());
  CHECK(q.time_ns == 5'000'000'000);
}

TEST_CASE("dogstatsd event: malformed events are rejected with a reason") {
  CHECK(rejected_as("_e{5,4}:titl|text") == "invalid_event");   // length beyond the line
  CHECK(rejected_as("_e{4,4}:title|text") == "invalid_event");  // no '|' after the title
  CHECK(rejected_as("_e{5,3}:title|text") == "invalid_event");  // text longer than declared
  CHECK(rejected_as("_e{0,4}:|text") == "invalid_event");       // empty title
  CHECK(rejected_as("_e{a,4}:title|text") == "invalid_event");
  CHECK(rejected_as("_e{5,4}title|text") == "invalid_event");
  CHECK(rejected_as("_e{5}:title|text") == "invalid_event");
  CHECK(rejected_as("_e{5,4}:title|text|p:urgent") == "invalid_event_field");
  CHECK(rejected_as("_e{5,4}:title|text|t:fatal") == "invalid_event_field");
  CHECK(rejected_as("_e{5,4}:title|text|d:soon") == "invalid_timestamp");
  CHECK(rejected_as("_e{5,4}:title|text|h:a|h:b") == "duplicate_section");
  CHECK(rejected_as("_e{5,4}:title|text|#:v") == "invalid_tag");
}

TEST_CASE("dogstatsd service check: fields, message last and to the end of the line") {
  Run run;
  RecordingSink& s = run("_sc|app.up|2|d:1700000002|h:web1|#env:prod|c:cid|m:down | really\\nsee logs");
  REQUIRE(s.rejects.empty());
  const OwnedPoint& p = s.points.at(0);
  CHECK(p.measurement == "statsd_service_check");
  CHECK(p.field("name")->s == "app.up");
  CHECK(p.field("status")->type == FieldType::kInt);
  CHECK(p.field("status")->i == 2);
  CHECK(p.field("hostname")->s == "web1");
  CHECK(p.field("container_id")->s == "cid");
  CHECK(p.field("message")->s == "down | really\nsee logs");
  CHECK(p.tag("env") == "prod");
  CHECK(p.time_ns == 1'700'000'002'000'000'000);
  const OwnedPoint q = run("_sc|x|0").points.at(0);
  CHECK(q.field("status")->i == 0);
  CHECK(q.time_ns == kNow);
}

TEST_CASE("dogstatsd service check: malformed checks are rejected with a reason") {
  CHECK(rejected_as("_sc||0") == "invalid_service_check");
  CHECK(rejected_as("_sc|x") == "invalid_service_check");
  CHECK(rejected_as("_sc|x|4") == "invalid_service_check");
  CHECK(rejected_as("_sc|x|ok") == "invalid_service_check");
  CHECK(rejected_as("_sc|x|0|d:1|d:2") == "duplicate_section");
}

TEST_CASE("dogstatsd: events, checks and metrics mix in one datagram") {
  Run run;
  RecordingSink& s = run("a:1|c\n_e{1,1}:t|x\n_sc|c|1\n_e{9,1}:t|x\nb:2|g");
  REQUIRE(s.points.size() == 4);
  CHECK(s.points[1].measurement == "statsd_event");
  CHECK(s.points[2].measurement == "statsd_service_check");
  REQUIRE(s.rejects.size() == 1);
  CHECK(s.rejects[0].line == 4);
}

}  // namespace
}  // namespace ringest

namespace ringest {
namespace {

TEST_CASE("dogstatsd events and service checks: unknown sections are skipped and counted") {
  Run run;
  RecordingSink& e = run("_e{5,4}:title|text|x:1||p:low|zz");
  REQUIRE(e.rejects.empty());
  REQUIRE(e.points.size() == 1);
  CHECK(e.points[0].field("priority")->s == "low");
  std::vector<std::string> names;
  for (uint16_t k : e.skips) names.emplace_back(run.parser.skips()[k]);
  CHECK(names == std::vector<std::string>{"unknown_section_x", "unknown_section_empty", "unknown_section_z"});
  RecordingSink& c = run("_sc|x|0|q:1|h:web|m:bye");
  REQUIRE(c.rejects.empty());
  REQUIRE(c.points.size() == 1);
  CHECK(c.points[0].field("hostname")->s == "web");
  CHECK(c.points[0].field("message")->s == "bye");
  REQUIRE(c.skips.size() == 1);
  CHECK(run.parser.skips()[c.skips[0]] == "unknown_section_q");
}

}  // namespace
}  // namespace ringest
