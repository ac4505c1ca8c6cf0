// The one record model every format maps to (DESIGN.md, "One record model").
//
// These are views: a parser builds them over the datagram it is parsing (and a
// small scratch area of its own) and they stay valid only until the call that
// received them returns. The segment log copies what it keeps.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/source_address.h"

namespace ringest {

enum class FieldType : uint8_t { kFloat = 0, kInt = 1, kUint = 2, kString = 3, kBool = 4 };

struct Field {
  std::string_view key;
  FieldType type = FieldType::kFloat;
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
};

struct Tag {
  std::string_view key;
  std::string_view value;
};

// A point as a parser produced it. Tags keep the order the parser gave them.
struct PointView {
  std::string_view measurement;
  std::span<const Tag> tags;
  std::span<const Field> fields;
  int64_t time_ns = 0;  // from the message, else the receive time
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
