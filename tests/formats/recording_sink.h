// A PointSink that copies what it receives, so tests can look at it after
// parse() returns (the views it is handed die with the call).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/formats/parser.h"

namespace ringest::testing {

struct OwnedField {
  std::string key;
  FieldType type = FieldType::kFloat;
  double f = 0;
  int64_t i = 0;
  uint64_t u = 0;
  bool b = false;
  std::string s;
};

struct OwnedPoint {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<OwnedField> fields;
  int64_t time_ns = 0;

  const OwnedField* field(std::string_view key) const {
    for (const auto& f : fields) {
      if (f.key == key) return &f;
    }
    return nullptr;
  }
  std::optional<std::string> tag(std::string_view key) const {
    for (const auto& [k, v] : tags) {
      if (k == key) return v;
    }
    return std::nullopt;
  }
};

struct Rejection {
  uint16_t reason = 0;
  uint32_t line = 0;
  std::string text;
};

class RecordingSink final : public PointSink {
 public:
  void point(const PointView& p) override {
    OwnedPoint o;
    o.measurement = std::string(p.measurement);
    for (const Tag& t : p.tags) o.tags.emplace_back(std::string(t.key), std::string(t.value));
    for (const Field& f : p.fields) {
      OwnedField of;
      of.key = std::string(f.key);
      of.type = f.type;
      switch (f.type) {
        case FieldType::kFloat:
          of.f = f.f;
          break;
        case FieldType::kInt:
          of.i = f.i;
          break;
        case FieldType::kUint:
          of.u = f.u;
          break;
        case FieldType::kBool:
          of.b = f.b;
          break;
        case FieldType::kString:
          of.s = std::string(f.s);
          break;
      }
      o.fields.push_back(std::move(of));
    }
    o.time_ns = p.time_ns;
    points.push_back(std::move(o));
  }
  // Counted, then taken as the point it stands for.
  void metric(const MetricView& m) override {
    ++metrics;
    PointSink::metric(m);
  }
  void reject(uint16_t reason, uint32_t line, std::string_view text) override {
    rejects.push_back(Rejection{reason, line, std::string(text)});
  }
  void skipped(uint16_t what) override { skips.push_back(what); }
  void clear() {
    metrics = 0;
    points.clear();
    rejects.clear();
    skips.clear();
  }

  std::vector<OwnedPoint> points;
  size_t metrics = 0;  // of the points, those handed over as a MetricView
  std::vector<Rejection> rejects;
  std::vector<uint16_t> skips;  // Parser::skips() indices, in the order skipped
};

// What a fresh parser of type P finds in `datagram`.
template <class P>
RecordingSink parse_with(std::string_view datagram, int64_t receive_ns) {
  P parser{ParserOptions{}};
  RecordingSink sink;
  parser.parse(datagram, ParseContext{receive_ns}, sink);
  return sink;
}

}  // namespace ringest::testing
