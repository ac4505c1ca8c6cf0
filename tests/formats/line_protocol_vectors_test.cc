// Runs every row of the line-protocol corpus (vectors/influx-line-protocol,
// produced with the influxdata/line-protocol v2 decoder) and compares
// accept/reject, and on accepted rows every point: measurement, tags (sorted),
// fields in order with their types and values, and the time.
//
// The corpus judges a whole input: it fails when any line fails. Every row
// agrees (docs/conformance.md); a disagreement fails the test with the row id.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/formats/line_protocol.h"
#include "tests/formats/recording_sink.h"
#include "tests/support/json.h"

namespace ringest {
namespace {

using testing::Json;
using testing::OwnedPoint;
using testing::RecordingSink;

int64_t precision_ns(std::string_view p) {
  if (p == "1ns") return 1;
  if (p == "1µs" || p == "1us") return 1'000;
  if (p == "1ms") return 1'000'000;
  if (p == "1s") return 1'000'000'000;
  return 0;
}

std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::kFloat: return "float";
    case FieldType::kInt: return "int";
    case FieldType::kUint: return "uint";
    case FieldType::kString: return "string";
    case FieldType::kBool: return "bool";
  }
  return "?";
}

// "" when the point equals the expectation, else what differs.
std::string compare(const OwnedPoint& p, const Json& e) {
  if (p.measurement != e.find("measurement")->str) return "measurement";
  auto tags = p.tags;
  std::stable_sort(tags.begin(), tags.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const Json& want_tags = *e.find("tags");
  if (tags.size() != want_tags.items.size()) return "tag count";
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].first != want_tags.items[i].items[0].str ||
        tags[i].second != want_tags.items[i].items[1].str) {
      return "tag " + tags[i].first;
    }
  }
  const Json& want_fields = *e.find("fields");
  if (p.fields.size() != want_fields.items.size()) return "field count";
  for (size_t i = 0; i < p.fields.size(); ++i) {
    const auto& f = p.fields[i];
    const Json& w = want_fields.items[i];
    if (f.key != w.find("key")->str) return "field key " + f.key;
    if (type_name(f.type) != w.find("type")->str) return "field type " + f.key;
    const Json& v = *w.find("value");
    bool same = false;
    switch (f.type) {
      case FieldType::kFloat: same = f.f == std::strtod(v.str.c_str(), nullptr); break;
      case FieldType::kInt: same = std::to_string(f.i) == v.str; break;
      case FieldType::kUint: same = std::to_string(f.u) == v.str; break;
      case FieldType::kString: same = f.s == v.str; break;
      case FieldType::kBool: same = f.b == v.b; break;
    }
    if (!same) return "field value " + f.key;
  }
  const Json* t = e.find("time_ns");
  const int64_t want_time = std::strtoll(t->str.c_str(), nullptr, 10);
  if (p.time_ns != want_time) return "time " + std::to_string(p.time_ns) + " want " + t->str;
  return "";
}

TEST_CASE("line protocol: conformance corpus") {
  const std::string path = std::string(RINGEST_VECTORS_DIR) + "/influx-line-protocol/lp_corpus_decode.jsonl";
  std::ifstream in(path);
  REQUIRE(in.good());
  RecordingSink sink;
  size_t rows = 0, agreed = 0;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    auto row = testing::parse_json(text);
    REQUIRE(row.has_value());
    const std::string id = row->find("id")->str;
    auto bytes = testing::decode_base64(row->find("input_b64")->str);
    REQUIRE(bytes.has_value());
    const int64_t prec = precision_ns(row->find("precision")->str);
    REQUIRE_MESSAGE(prec > 0, id);
    LineProtocolParser parser{ParserOptions{prec}};
    const Json* dt = row->find("default_time_ns");
    const int64_t default_time = std::strtoll(dt->str.c_str(), nullptr, 10);
    sink.clear();
    parser.parse(*bytes, ParseContext{default_time}, sink);
    ++rows;

    std::string detail;
    if (const Json* err = row->find("error"); err && err->b) {
      if (sink.rejects.empty()) detail = "accepted, the reference rejects";
    } else if (!sink.rejects.empty()) {
      detail =
          "rejected (" + std::string(parser.reasons()[sink.rejects[0].reason]) + "), the reference accepts";
    } else {
      const Json& expect = *row->find("expect");
      if (expect.items.size() != sink.points.size()) {
        detail = "points: got " + std::to_string(sink.points.size()) + ", want " +
                 std::to_string(expect.items.size());
      } else {
        for (size_t i = 0; i < expect.items.size() && detail.empty(); ++i) {
          detail = compare(sink.points[i], expect.items[i]);
        }
      }
    }
    if (detail.empty()) {
      ++agreed;
      continue;
    }
    CHECK_MESSAGE(false, id << " `" << *bytes << "`: " << detail);
  }
  MESSAGE("line protocol corpus: " << rows << " rows, " << agreed << " agree");
  CHECK(rows == 4344);
  CHECK(agreed == rows);
}

}  // namespace
}  // namespace ringest
