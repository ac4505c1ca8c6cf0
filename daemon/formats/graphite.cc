// Graphite plaintext: the grammar this parser accepts and how it maps onto
// points. It follows carbon's line receiver and graphite-web's TaggedSeries.
//
// Datagram: lines as LineCursor splits them ('\n', "\r\n"); empty lines are
// skipped; a rejected line never stops the lines after it.
// Line: three words separated by spaces or tabs (leading and trailing ones
// ignored):  <path> <value> <timestamp>
//   path       "name" or the tagged form "name;k=v;k2=v2": the name is not
//              empty; a tag has a non-empty key without ';' '!' '^' '=' and a
//              non-empty value not starting with '~' (graphite-web's rules);
//              a repeated key is rejected (which value was meant is unclear).
//   value      a finite number ("1", "-2.5", "1e3", "+4"). NaN is dropped as
//              carbon drops it, and counted with reason nan_value; infinities
//              are invalid_value (no store keeps them meaningfully).
//   timestamp  unix seconds, integer or with a fraction (carbon reads a
//              float), >= 0; -1 means "now": the receive time.
// Point: measurement = the name; tags = the tagged form's tags in the order
// written (carbon's own "name" tag is the measurement, not repeated);
// field value (float); time = the timestamp.
#include "daemon/formats/graphite.h"

#include <cmath>
#include <cstdint>

#include "daemon/formats/lines.h"
#include "daemon/formats/text.h"

namespace ringest {
namespace {

using R = GraphiteReason;

constexpr std::string_view kReasonNames[] = {
    "line_too_long",     "invalid_line", "invalid_value", "nan_value",
    "invalid_timestamp", "invalid_tag",  "too_many_tags",
};
static_assert(std::size(kReasonNames) == static_cast<size_t>(R::kCount));

bool blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view next_word(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && blank(s[i])) ++i;
  size_t j = i;
  while (j < s.size() && !blank(s[j])) ++j;
  std::string_view w = s.substr(i, j - i);
  s.remove_prefix(j);
  return w;
}

bool is_nan_text(std::string_view v) {
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) v.remove_prefix(1);
  if (v.size() != 3) return false;
  return (v[0] | 0x20) == 'n' && (v[1] | 0x20) == 'a' && (v[2] | 0x20) == 'n';
}

}  // namespace

GraphiteParser::GraphiteParser(const ParserOptions& /*opts*/) {}

std::span<const std::string_view> GraphiteParser::reasons() const {
  return kReasonNames;
}

void GraphiteParser::parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) {
  LineCursor lines(datagram);
  std::string_view line;
  uint32_t line_no;
  while (lines.next(line, line_no)) {
    std::string_view probe = line;
    if (next_word(probe).empty()) continue;  // blank line
    GraphiteReason why;
    if (!parse_line(line, ctx, sink, why)) sink.reject(static_cast<uint16_t>(why), line_no, line);
  }
}

bool GraphiteParser::parse_line(std::string_view line, const ParseContext& ctx, PointSink& sink,
                                GraphiteReason& why) {
  auto fail = [&why](R r) {
    why = r;
    return false;
  };
  if (line.size() > kMaxLineBytes) return fail(R::kLineTooLong);
  std::string_view rest = line;
  std::string_view path = next_word(rest);
  std::string_view value_text = next_word(rest);
  std::string_view time_text = next_word(rest);
  if (time_text.empty() || !next_word(rest).empty()) return fail(R::kInvalidLine);

  const size_t semi = path.find(';');
  const std::string_view name = path.substr(0, semi);
  if (name.empty()) return fail(R::kInvalidLine);
  size_t n_tags = 0;
  std::string_view tags_text = semi == std::string_view::npos ? "" : path.substr(semi + 1);
  bool more = semi != std::string_view::npos;
  while (more) {
    const size_t end = tags_text.find(';');
    const std::string_view item = tags_text.substr(0, end);
    more = end != std::string_view::npos;
    if (more) tags_text.remove_prefix(end + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) return fail(R::kInvalidTag);
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key.find_first_of("!^") != std::string_view::npos || value[0] == '~') return fail(R::kInvalidTag);
    for (size_t t = 0; t < n_tags; ++t) {
      if (tags_[t].key == key) return fail(R::kInvalidTag);
    }
    if (n_tags == kMaxTags) return fail(R::kTooManyTags);
    tags_[n_tags++] = Tag{key, value};
  }

  if (is_nan_text(value_text)) return fail(R::kNanValue);
  double value;
  if (!text::parse_float(value_text, value)) return fail(R::kInvalidValue);

  int64_t time_ns, whole;
  double secs;
  constexpr int64_t kMaxSeconds = INT64_MAX / 1'000'000'000;
  if (time_text == "-1") {
    time_ns = ctx.receive_ns;
  } else if (text::parse_int(time_text, whole)) {
    if (whole < 0 || whole > kMaxSeconds) return fail(R::kInvalidTimestamp);
    time_ns = whole * 1'000'000'000;
  } else if (!text::parse_float(time_text, secs) || secs < 0 || secs >= 9.2e9) {
    return fail(R::kInvalidTimestamp);
  } else {
    time_ns = static_cast<int64_t>(std::llround(secs * 1e9));
  }

  Field field = Field::float_("value", value);
  PointView p;
  p.measurement = name;
  p.tags = std::span<const Tag>(tags_.data(), n_tags);
  p.fields = std::span<const Field>(&field, 1);
  p.time_ns = time_ns;
  sink.point(p);
  return true;
}

}  // namespace ringest
