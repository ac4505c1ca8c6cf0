// InfluxDB line protocol. The grammar, the escaping rules, the mapping onto
// points and every rejection rule are written down at the top of
// line_protocol.cc; docs/formats.md summarises them.
//
// Threading: one LineProtocolParser per parser shard, used by that thread
// only. Tags, fields and the unescaping scratch buffer are owned by the object
// and sized once in the constructor, so parse() does no heap allocation; the
// points it emits are views into the datagram and that scratch buffer, valid
// only during the PointSink call.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "daemon/formats/parser.h"

namespace ringest {

// Why an entry was rejected; values index LineProtocolParser::reasons().
enum class LineProtocolReason : uint16_t {
  kEntryTooLong = 0,     // longer than kMaxEntryBytes (its line, or its unescaped text)
  kInvalidMeasurement,   // empty, starts with '#' (a comment with a control character), bad byte
  kInvalidTag,           // no '=', empty key or value, a space after ',', a bad byte
  kDuplicateTag,         // the same tag key twice
  kTooManyTags,          // more than kMaxTags
  kMissingField,         // no field at all (the "at least one field" rule)
  kInvalidField,         // empty key, no '=', no value, a stray byte after a value
  kInvalidFieldValue,    // not a float, i/u integer in range, quoted string or boolean
  kUnterminatedString,   // a string value without its closing '"'
  kInvalidUtf8,          // a name, key, tag value or string that is not UTF-8
  kTooManyFields,        // more than kMaxFields
  kInvalidTimestamp,     // not a base-10 integer, or text after it
  kTimestampOutOfRange,  // beyond int64 nanoseconds at the listener's precision
  kCount
};

class LineProtocolParser final : public Parser {
 public:
  static constexpr size_t kMaxEntryBytes = 65536;  // an entry never exceeds one UDP datagram
  static constexpr size_t kMaxTags = 256;
  static constexpr size_t kMaxFields = 256;

  explicit LineProtocolParser(const ParserOptions& opts);

  std::string_view format() const override { return "influx"; }
  std::span<const std::string_view> reasons() const override;
  void parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) override;

 private:
  // Parses the entry starting at `i`; on success emits its point and leaves
  // `i` after its line end. On failure `i` is where parsing stopped.
  bool parse_entry(std::string_view d, size_t& i, const ParseContext& ctx, PointSink& sink,
                   LineProtocolReason& why);
  // Reads an escaped token; unescapes into scratch_ only when it has escapes.
  std::string_view token(std::string_view d, size_t& i, int cls, bool& high_bit);

  int64_t precision_ns_;
  std::array<Tag, kMaxTags> tags_;
  std::array<Field, kMaxFields> fields_;
  std::unique_ptr<char[]> scratch_;  // kMaxEntryBytes: unescaped text never outgrows its entry
  size_t scratch_used_ = 0;
  bool scratch_full_ = false;  // an entry's unescaped text did not fit: it is rejected
};

}  // namespace ringest
