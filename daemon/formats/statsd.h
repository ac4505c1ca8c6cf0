// StatsD with the DogStatsD extensions (tags, container id, timestamp,
// multi-value packing). The line grammar, the mapping onto points and every
// rejection rule are written down at the top of statsd.cc; that block is the
// format's documentation.
//
// Threading: one StatsdParser per parser shard, used by that thread only. The
// tag, field and value arrays live inside the object, so parse() does no heap
// allocation; the points it emits are views into the datagram and into those
// arrays, valid only during the PointSink call.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/formats/parser.h"

namespace ringest {

// Why a line was rejected. The values index StatsdParser::reasons(); the names
// there are metric label values and stay stable once released.
enum class StatsdReason : uint16_t {
  kLineTooLong = 0,      // longer than StatsdParser::kMaxLineBytes
  kMissingColon,         // no ':' between the name and the value(s)
  kEmptyName,            // nothing before the ':'
  kInvalidValue,         // a value is empty, not a finite number, or out of range
  kNegativeTiming,       // a timing (ms) below zero
  kMissingType,          // no "|type" after the value(s)
  kUnknownType,          // a type other than c, g, ms, h, s, d
  kInvalidSampleRate,    // "|@" not followed by a number in (0, 1]
  kInvalidTimestamp,     // "|T" not followed by non-negative integer seconds
  kInvalidTag,           // a tag with an empty key (",:v" or "#:v")
  kInvalidContainerId,   // "|c:" with nothing after it
  kUnknownSection,       // no longer given: unknown sections are skipped (kept: label values stay)
  kDuplicateSection,     // the same optional section twice
  kTooManyTags,          // more than StatsdParser::kMaxTags DogStatsD tags
  kTooManyValues,        // more than StatsdParser::kMaxValues packed values
  kInvalidEvent,         // "_e{": lengths that are not numbers or do not match the text
  kInvalidServiceCheck,  // "_sc|": no name, or a status other than 0, 1, 2, 3
  kInvalidEventField,    // an event's p: or t: outside its documented values
  kCount
};

class StatsdParser final : public Parser {
 public:
  // Limits of one line; a line beyond them is rejected whole, never cut.
  static constexpr size_t kMaxLineBytes = 8192;  // the DogStatsD client's buffer size
  static constexpr size_t kMaxTags = 64;         // DogStatsD tags (metric_type etc. not counted)
  static constexpr size_t kMaxValues = 64;       // packed values "name:1:2:3|d"
  static constexpr size_t kMaxSkipsCounted = 16;  // unknown sections counted per line; more are skipped uncounted

  explicit StatsdParser(const ParserOptions& opts);

  std::string_view format() const override { return "statsd"; }
  std::span<const std::string_view> reasons() const override;
  // "unknown_section_a" .. "unknown_section_z", "unknown_section_A" ..
  // "unknown_section_Z" by the section's first byte, then
  // "unknown_section_other" and "unknown_section_empty".
  std::span<const std::string_view> skips() const override;
  void parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) override;

 private:
  // The lines nearly every datagram is made of: "name:value|type", with at
  // most a sample rate after it, up to 64 bytes long: emitted as a
  // MetricView. `colons` and `bars` are the line's ':' and '|' (bit i: byte
  // i). Anything else, anything it would reject included, is left to
  // parse_line (false), which decides it: this path only accepts what
  // parse_line would, as the same point.
  bool parse_simple(std::string_view line, uint64_t colons, uint64_t bars, const ParseContext& ctx, PointSink& sink);
  // parse_simple's metrics are built in place in run_ and handed to the sink
  // a run at a time (PointSink::metrics): when it is full, before anything
  // else of the datagram is emitted, and at its end.
  void hand_over_run(PointSink& sink) {
    if (n_run_ == 0) return;
    sink.metrics(std::span<const MetricView>(run_.data(), n_run_));
    n_run_ = 0;
  }
  static constexpr size_t kRun = 64;
  std::array<MetricView, kRun> run_;
  size_t n_run_ = 0;
  // Parses one line (no '\n', no trailing '\r'): emits its points, or returns
  // the reason it is rejected (nothing emitted then).
  bool parse_line(std::string_view line, const ParseContext& ctx, PointSink& sink, StatsdReason& why);
  bool parse_event(std::string_view line, const ParseContext& ctx, PointSink& sink, StatsdReason& why);
  bool parse_service_check(std::string_view line, const ParseContext& ctx, PointSink& sink,
                           StatsdReason& why);
  // A section events and service checks share: '#' tags, d: timestamp,
  // h: hostname, c: container id (a field appended to fields[nf]).
  enum class Section { kTaken, kNotShared, kRejected };
  Section shared_section(char key, std::string_view value, size_t& n_tags, int64_t& time_ns, Field* fields,
                         size_t& nf, StatsdReason& why);
  // Emits an event's or a service check's point.
  void emit(std::string_view measurement, size_t n_tags, std::span<const Field> fields, int64_t time_ns,
            PointSink& sink);
  // Appends the DogStatsD tags of a '#' section to tags_.
  bool parse_tags(std::string_view list, size_t& n_tags, StatsdReason& why);
  // Copies `s` into text_ with each two-byte "\n" turned into a newline.
  std::string_view unescape_newlines(std::string_view s);

  // Unknown sections of the line being parsed, counted once it is accepted.
  void skip(std::string_view section);
  std::array<uint16_t, kMaxSkipsCounted> skips_{};
  size_t n_skips_ = 0;

  // Scratch reused by every line. Tags: DogStatsD tags, then metric_type.
  std::array<Tag, kMaxTags + 1> tags_;
  std::array<std::string_view, kMaxValues> values_;
  // A metric's fields: value, sample_rate, delta and the text sections.
  static constexpr size_t kMetricFields = 6;
  std::array<Field, kMetricFields> metric_fields_;
  std::array<char, kMaxLineBytes> text_;  // an event's text or a check's message, unescaped
};

}  // namespace ringest
