// Runs every row of the StatsD conformance vectors (vectors/README.md) and
// compares accept/reject and the asserted fields.
//
// Rows without a `note` must agree, except the rows listed in kDeviations: the
// peers contradict each other there (statsd accepts "+1|ms", Telegraf rejects
// "+10|ms"; statsd accepts "@2", brubeck rejects "@3.0"), so one policy cannot
// agree with both. Each listed row says which rule of statsd.cc decides it.
// Rows with a `note` are one peer's policy; they are counted and reported, not
// asserted.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/formats/statsd.h"
#include "tests/formats/recording_sink.h"
#include "tests/support/json.h"

namespace ringest {
namespace {

using testing::Json;
using testing::OwnedPoint;
using testing::RecordingSink;

struct Deviation {
  std::string_view input;
  std::string_view why;
};

constexpr Deviation kDeviations[] = {
    {"k:345345|ms|@2", "sample rate must be in (0, 1]; brubeck rejects @3.0 and @1.23"},
    {"invalid.plus.minus.non.gauge:+10|s", "a set member is text; '+10' is a member"},
    {"invalid.plus.minus.non.gauge:+10|ms", "a sign on a timing is the number's sign (statsd)"},
    {"invalid.plus.minus.non.gauge:+10|h", "a sign on a histogram is the number's sign"},
    // brubeck and statsd reject a section they do not know; the Datadog agent,
    // whose newer clients add sections, skips it. statsd.cc follows the agent:
    // the line is kept, the section skipped and counted.
    {"this.are.some.floats:1.0|g|1.0", "an unknown section is skipped (the agent), not rejected"},
    {"this.are.some.floats:1.0|g|0.1", "an unknown section is skipped (the agent), not rejected"},
    {"k:345345|ms|0,456456", "an unknown section is skipped (the agent), not rejected"},
    {"k:345345|ms|", "an empty section is skipped (the agent), not rejected"},
    {"k:345345|ms|b", "an unknown section is skipped (the agent), not rejected"},
    {"k:345345|ms|blah", "an unknown section is skipped (the agent), not rejected"},
};

std::string_view type_letter_to_name(std::string_view letter) {
  if (letter == "c") return "counter";
  if (letter == "g") return "gauge";
  if (letter == "ms") return "timing";
  if (letter == "h") return "histogram";
  if (letter == "s") return "set";
  if (letter == "d") return "distribution";
  return "?";
}

bool near(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
}

// Compares one point with one expectation object; returns "" or what differs.
std::string compare(const OwnedPoint& p, const Json& e) {
  if (const Json* n = e.find("name"); n && p.measurement != n->str) return "name";
  if (const Json* t = e.find("type"); t && p.tag("metric_type") != std::string(type_letter_to_name(t->str))) {
    return "type";
  }
  const testing::OwnedField* value = p.field("value");
  if (value == nullptr) return "no value field";
  if (const Json* v = e.find("value")) {
    if (value->type != FieldType::kFloat || !near(value->f, v->num)) return "value";
  }
  if (const Json* sv = e.find("set_value")) {
    if (value->type != FieldType::kString || value->s != sv->str) return "set_value";
  }
  if (const Json* sr = e.find("sample_rate")) {
    const testing::OwnedField* f = p.field("sample_rate");
    double got = f ? f->f : 1.0;
    if (!near(got, sr->num)) return "sample_rate";
  }
  if (const Json* ts = e.find("timestamp")) {
    if (p.time_ns != static_cast<int64_t>(ts->num) * 1'000'000'000) return "timestamp";
  }
  {
    const Json* rel = e.find("relative");
    bool want = rel && rel->b;
    const testing::OwnedField* d = p.field("delta");
    if (want != (d != nullptr && d->b)) return "relative";
  }
  if (const Json* tags = e.find("tags")) {
    // DogStatsD tags come first, in order, before metric_type.
    std::vector<std::string> got;
    for (const auto& [k, v] : p.tags) {
      if (k == "metric_type") break;
      got.push_back(v.empty() ? k : k + ":" + v);
    }
    std::vector<std::string> want;
    for (const Json& t : tags->items) want.push_back(t.str);
    if (got != want) return "tags";
  }
  return "";
}

struct Outcome {
  bool agree = false;
  std::string detail;
};

Outcome judge(const Json& row, const RecordingSink& s, const StatsdParser& parser) {
  auto first_reason = [&] {
    return s.rejects.empty() ? std::string("none") : std::string(parser.reasons()[s.rejects[0].reason]);
  };
  if (const Json* err = row.find("error"); err && err->b) {
    if (!s.rejects.empty() && s.points.empty()) return {true, ""};
    return {false, "accepted, source rejects"};
  }
  if (!s.rejects.empty()) return {false, "rejected (" + first_reason() + "), source accepts"};
  if (s.points.empty()) return {false, "no point"};
  if (const Json* v = row.find("valid"); v && v->b) return {true, ""};
  std::vector<const Json*> expected;
  if (const Json* e = row.find("expect")) {
    if (const Json* vs = e->find("values")) {
      for (size_t i = 0; i < vs->items.size(); ++i) expected.push_back(e);
    } else {
      expected.push_back(e);
    }
  } else if (const Json* m = row.find("expect_multi")) {
    for (const Json& item : m->items) expected.push_back(&item);
  }
  if (expected.size() != s.points.size()) {
    return {false,
            "points: got " + std::to_string(s.points.size()) + ", want " + std::to_string(expected.size())};
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (const Json* vs = expected[i]->find("values")) {
      if (!near(s.points[i].field("value")->f, vs->items[i].num)) return {false, "values"};
      continue;
    }
    std::string diff = compare(s.points[i], *expected[i]);
    if (!diff.empty()) return {false, "field " + diff};
  }
  return {true, ""};
}

TEST_CASE("statsd: conformance vectors") {
  const std::filesystem::path dir = std::filesystem::path(RINGEST_VECTORS_DIR) / "statsd";
  REQUIRE(std::filesystem::is_directory(dir));
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".jsonl") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(!files.empty());

  StatsdParser parser{ParserOptions{}};
  RecordingSink sink;
  size_t rows = 0, agreed = 0, noted = 0, noted_agreed = 0, deviations = 0;
  std::map<std::string_view, bool> deviation_seen;
  for (const Deviation& d : kDeviations) deviation_seen[d.input] = false;

  for (const auto& file : files) {
    std::ifstream in(file);
    std::string text;
    size_t line_no = 0;
    while (std::getline(in, text)) {
      ++line_no;
      if (text.empty()) continue;
      const std::string where = file.filename().string() + ":" + std::to_string(line_no);
      auto row = testing::parse_json(text);
      REQUIRE_MESSAGE(row.has_value(), where);
      std::string input;
      if (const Json* b64 = row->find("input_b64")) {
        auto bytes = testing::decode_base64(b64->str);
        REQUIRE_MESSAGE(bytes.has_value(), where);
        input = *bytes;
      } else {
        REQUIRE_MESSAGE(row->find("input") != nullptr, where);
        input = row->find("input")->str;
      }
      ++rows;
      sink.clear();
      parser.parse(input, ParseContext{0}, sink);
      Outcome o = judge(*row, sink, parser);
      if (o.agree) ++agreed;

      const bool has_note = row->find("note") != nullptr;
      auto dev = deviation_seen.find(input);
      if (has_note) {
        ++noted;
        if (o.agree)
          ++noted_agreed;
        else
          MESSAGE("noted row, other policy: " << where << " `" << input << "`: " << o.detail);
      } else if (dev != deviation_seen.end()) {
        ++deviations;
        dev->second = true;
        CHECK_MESSAGE(!o.agree, where << ": listed as a deviation but agrees now: " << input);
      } else {
        CHECK_MESSAGE(o.agree, where << " `" << input << "`: " << o.detail);
      }
    }
  }
  for (const auto& [input, seen] : deviation_seen) {
    CHECK_MESSAGE(seen, "deviation row not found in the vectors: " << input);
  }
  MESSAGE("statsd vectors: " << rows << " rows, " << agreed << " agree; " << noted << " with a note ("
                             << noted_agreed << " agree); " << deviations << " listed deviations");
  CHECK(rows == 121);
  CHECK(deviations == std::size(kDeviations));
}

}  // namespace
}  // namespace ringest
