// Parser: the small interface every wire format implements (one file per
// format in daemon/formats/, registered in registry.cc). A parser knows
// nothing of sockets or files: it turns the bytes of one datagram into points.
//
// Threading: a Parser instance belongs to one parser shard and is used by that
// thread only; it may keep scratch space between calls. Steady-state parsing
// must not allocate on the heap.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/point.h"

namespace ringest {

// Receives what a parser finds in one datagram. All views are valid only
// during the call.
class PointSink {
 public:
  virtual ~PointSink() = default;
  virtual void point(const PointView& p) = 0;
  // A StatsD metric in its short form. Sinks that do not take it so get the
  // point it stands for.
  virtual void metric(const MetricView& m) {
    MetricPoint p(m);
    point(p.view);
  }
  // Consecutive metrics of one datagram, in line order: what a parser hands
  // over in runs (nothing it emits in between). Sinks that take them one at
  // a time need not override it.
  virtual void metrics(std::span<const MetricView> ms) {
    for (const MetricView& m : ms) metric(m);
  }
  // One rejected line. `reason` indexes Parser::reasons(); `line` is 1-based;
  // `text` is the rejected line as received.
  virtual void reject(uint16_t reason, uint32_t line, std::string_view text) = 0;
  // A part of an accepted line the parser did not know and left out (a
  // DogStatsD section of a newer client). `what` indexes Parser::skips().
  // Sinks that do not count them need not override it.
  virtual void skipped(uint16_t /*what*/) {}
};

struct ParseContext {
  int64_t receive_ns = 0;  // stands in for a missing timestamp
};

// Per-listener options a format may use.
struct ParserOptions {
  int64_t precision_ns = 1;  // line protocol: unit of a given timestamp
};

class Parser {
 public:
  virtual ~Parser() = default;
  virtual std::string_view format() const = 0;
  // The reasons reject() may name, as metric label values ("invalid_type").
  virtual std::span<const std::string_view> reasons() const = 0;
  // What skipped() may name, as metric label values ("unknown_section_x").
  virtual std::span<const std::string_view> skips() const { return {}; }
  // Parses one datagram, calling sink.point() for each point and
  // sink.reject() for each line that is rejected. Never throws.
  virtual void parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) = 0;
};

// The registry (registry.cc): nullptr for an unknown format.
std::unique_ptr<Parser> make_parser(std::string_view format, const ParserOptions& opts);
// The names make_parser() knows, for --help and config validation.
std::span<const std::string_view> known_formats();
// The timestamp units of `precision`, finest first.
inline constexpr std::string_view kPrecisionNames[] = {"ns", "us", "ms", "s"};
// One of kPrecisionNames as ParserOptions::precision_ns; false for anything else.
bool precision_from_name(std::string_view name, int64_t& ns);

}  // namespace ringest
