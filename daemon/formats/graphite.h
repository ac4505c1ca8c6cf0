// Graphite plaintext ("path value timestamp"), with tagged series
// ("path;k=v;k2=v2"). The grammar, the mapping onto points and every
// rejection rule are written down at the top of graphite.cc.
//
// Threading: one GraphiteParser per parser shard, used by that thread only;
// tags live in a fixed array inside the object, so parse() does no heap
// allocation. Points are views valid only during the PointSink call.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/formats/parser.h"

namespace ringest {

enum class GraphiteReason : uint16_t {
  kLineTooLong = 0,   // longer than kMaxLineBytes
  kInvalidLine,       // not exactly three words
  kInvalidValue,      // not a finite number (NaN has its own reason)
  kNanValue,          // NaN: carbon drops these; counted here
  kInvalidTimestamp,  // not a number of seconds >= 0, and not -1
  kInvalidTag,        // empty key or value, ';' '!' '^' '=' in a key, a value starting '~', a repeated key
  kTooManyTags,       // more than kMaxTags
  kCount
};

class GraphiteParser final : public Parser {
 public:
  static constexpr size_t kMaxLineBytes = 8192;
  static constexpr size_t kMaxTags = 64;

  explicit GraphiteParser(const ParserOptions& opts);
  std::string_view format() const override { return "graphite"; }
  std::span<const std::string_view> reasons() const override;
  void parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) override;

 private:
  bool parse_line(std::string_view line, const ParseContext& ctx, PointSink& sink, GraphiteReason& why);
  std::array<Tag, kMaxTags> tags_;
};

}  // namespace ringest
