// The one record model every format maps to (DESIGN.md, "One record model").
//
// These are views: a parser builds them over the datagram it is parsing (and a
// small scratch area of its own) and they stay valid only until the call that
// received them returns. The segment log copies what it keeps.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "common/source_address.h"

namespace ringest {

enum class FieldType : uint8_t { kFloat = 0, kInt = 1, kUint = 2, kString = 3, kBool = 4 };

// Names a parser puts on nearly every record. A tag's key or value, or a
// field's key, may carry one of these ids besides its bytes, which must then
// be kKnownNames[id]: the segment log's encoder finds it by id instead of
// hashing and comparing the bytes. What is stored is the same either way.
enum class Known : uint8_t {
  kNone = 0,
  kMetricType, kCounter, kGauge, kTiming, kHistogram, kSet, kDistribution,  // StatsD
  kValue, kSampleRate, kDelta,
};
inline constexpr std::string_view kKnownNames[] = {
    "",      "metric_type", "counter",     "gauge", "timing", "histogram", "set", "distribution",
    "value", "sample_rate", "delta",
};
inline constexpr size_t kKnownCount = std::size(kKnownNames);
// The name of `id`, as the bytes of kKnownNames themselves: a sink may find a
// known name by its address.
constexpr std::string_view known_name(Known id) { return kKnownNames[static_cast<size_t>(id)]; }

struct Field {
  std::string_view key;
  FieldType type = FieldType::kFloat;
  Known key_id = Known::kNone;
  union {
    double f;
    int64_t i;
    uint64_t u;
    bool b;
  };
  std::string_view s;  // the value when type == kString

  Field() : f(0) {}
  static Field float_(std::string_view k, double v) { Field x; x.key = k; x.type = FieldType::kFloat; x.f = v; return x; }
  static Field int_(std::string_view k, int64_t v) { Field x; x.key = k; x.type = FieldType::kInt; x.i = v; return x; }
  static Field uint_(std::string_view k, uint64_t v) { Field x; x.key = k; x.type = FieldType::kUint; x.u = v; return x; }
  static Field string_(std::string_view k, std::string_view v) { Field x; x.key = k; x.type = FieldType::kString; x.s = v; return x; }
  static Field bool_(std::string_view k, bool v) { Field x; x.key = k; x.type = FieldType::kBool; x.b = v; return x; }
  Field& known(Known id) { key_id = id; return *this; }
};

struct Tag {
  std::string_view key;
  std::string_view value;
  Known key_id = Known::kNone;
  Known value_id = Known::kNone;
};

// A point as a parser produced it. Tags keep the order the parser gave them.
struct PointView {
  std::string_view measurement;
  std::span<const Tag> tags;
  std::span<const Field> fields;
  int64_t time_ns = 0;  // from the message, else the receive time
};

// A StatsD metric without DogStatsD tags or text sections ("name:1|c",
// "name:0.5|ms|@0.1"), in the form the StatsD parser hands it to
// PointSink::metric(): a sink that stores it needs no tag or field arrays.
// It stands for the point MetricPoint makes of it.
struct MetricView {
  std::string_view measurement;
  Known type = Known::kCounter;  // kCounter .. kDistribution: metric_type's value
  double value = 0;              // every type but kSet
  std::string_view member;       // kSet: the value
  bool has_rate = false;         // a sample_rate field
  double sample_rate = 1;
  bool delta = false;            // a delta=true field (a signed gauge)
  int64_t time_ns = 0;
};

// The tag metric_type=<type's name> and the fields value (a float, a set's
// member a string), sample_rate when given and delta=true when given: what a
// MetricView's point has besides its measurement and time. The fields go to
// `out`; returns how many.
inline Tag metric_type_tag(Known type) {
  return Tag{known_name(Known::kMetricType), known_name(type), Known::kMetricType, type};
}
inline size_t metric_fields(const MetricView& m, std::array<Field, 3>& out) {
  size_t n = 0;
  out[n++] = (m.type == Known::kSet ? Field::string_(known_name(Known::kValue), m.member)
                                    : Field::float_(known_name(Known::kValue), m.value))
                 .known(Known::kValue);
  if (m.has_rate) out[n++] = Field::float_(known_name(Known::kSampleRate), m.sample_rate).known(Known::kSampleRate);
  if (m.delta) out[n++] = Field::bool_(known_name(Known::kDelta), true).known(Known::kDelta);
  return n;
}

// The point a MetricView stands for. `view` shows this object's own arrays:
// it stays where it was made.
struct MetricPoint {
  explicit MetricPoint(const MetricView& m) {
    tags[0] = metric_type_tag(m.type);
    view.measurement = m.measurement;
    view.tags = tags;
    view.fields = std::span<const Field>(fields.data(), metric_fields(m, fields));
    view.time_ns = m.time_ns;
  }
  MetricPoint(const MetricPoint&) = delete;
  MetricPoint& operator=(const MetricPoint&) = delete;

  std::array<Tag, 1> tags;
  std::array<Field, 3> fields;
  PointView view;
};

// Where and when a datagram arrived; stored with every record made from it.
struct Origin {
  uint16_t listener = 0;  // the listener's id in the data directory's catalog (sinks/listener_catalog.h)
  SourceAddress source;
  int64_t receive_ns = 0;  // wall clock
};

// What a record holds: a parsed point, or the raw bytes of a line that did not
// parse (kept when the listener asks for it, so nothing is lost silently).
enum class RecordKind : uint8_t { kPoint = 0, kRaw = 1 };

}  // namespace ringest
