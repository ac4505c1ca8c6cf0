// InfluxDB line protocol: the grammar this parser accepts and how it maps onto
// points. It follows the influxdata/line-protocol v2 decoder, which is the
// reference the conformance corpus was produced with (docs/conformance.md).
//
// Datagram: entries separated by '\n' ("\r\n" too). Before an entry, spaces
// are skipped, as are empty lines and comment lines ('#' then printable text
// up to the line end). Each entry is accepted or rejected whole; a rejected
// entry is skipped up to the next '\n' and never stops the entries after it.
// Line numbers given to PointSink::reject() are the physical line the entry
// starts on (a string field may hold newlines).
//
// Entry:  <measurement> (',' <tag key> '=' <tag value>)* ' '+ <field> (',' <field>)*
//         (' '+ <timestamp>)? ' '* <line end>
//   measurement  bytes other than ',', ' ' and control characters (0-31,
//                127); "\," and "\ " stand for ',' and ' '. Not empty, does
//                not start with '#'.
//   tag key/value, field key
//                bytes other than ',', '=', ' ' and control characters;
//                "\,", "\=" and "\ " stand for the character. Not empty.
//                Duplicate tag keys reject the entry (duplicate field keys are
//                kept: the reference decoder hands both to the application).
//   A backslash before any other byte is kept as a backslash.
//   field value  "..."  string: any bytes (newlines too) up to an unescaped
//                       '"'; "\\" "\"" "\n" "\r" "\t" are escapes, any other
//                       backslash is kept.
//                t T true True TRUE / f F false False FALSE  bool
//                <n>i   int64, <n>u  uint64 (base 10, in range)
//                <n>    float64: decimal with sign, fraction, exponent (or Go's
//                       "0x..p.." form); inf and nan are rejected.
//   timestamp    a base-10 int64 in the listener's precision (ns, us, ms, s),
//                scaled to ns; overflow rejects the entry. Absent: the receive
//                time, truncated to the precision (the reference decoder's
//                rule, so a seconds listener never stores sub-second times).
//   Names, keys, tag values and strings must be valid UTF-8 after unescaping.
//
// Point: measurement, tags in the order written, fields in the order written,
// time as above.
#include "daemon/formats/line_protocol.h"

#include <algorithm>
#include <cstring>

#include "daemon/formats/text.h"

namespace ringest {
namespace {

using R = LineProtocolReason;

constexpr std::string_view kReasonNames[] = {
    "entry_too_long",         "invalid_measurement", "invalid_tag",     "duplicate_tag",
    "too_many_tags",          "missing_field",       "invalid_field",   "invalid_field_value",
    "unterminated_string",    "invalid_utf8",        "too_many_fields", "invalid_timestamp",
    "timestamp_out_of_range",
};
static_assert(std::size(kReasonNames) == static_cast<size_t>(R::kCount));

// Token classes: which bytes a token may hold, and which bytes a backslash escapes.
enum Cls : int { kMeasurement = 0, kKey = 1, kString = 2 };

struct Tables {
  bool allowed[3][256];
  char unescape[3][256];  // 0: the backslash is kept
};

constexpr Tables make_tables() {
  Tables t{};
  for (int c = 0; c < 256; ++c) {
    bool control = c < 32 || c == 127;
    t.allowed[kMeasurement][c] = !control && c != ',' && c != ' ';
    t.allowed[kKey][c] = !control && c != ',' && c != '=' && c != ' ';
    t.allowed[kString][c] = c != '"';
  }
  t.unescape[kMeasurement][','] = ',';
  t.unescape[kMeasurement][' '] = ' ';
  t.unescape[kKey][','] = ',';
  t.unescape[kKey]['='] = '=';
  t.unescape[kKey][' '] = ' ';
  t.unescape[kString]['\\'] = '\\';
  t.unescape[kString]['"'] = '"';
  t.unescape[kString]['n'] = '\n';
  t.unescape[kString]['r'] = '\r';
  t.unescape[kString]['t'] = '\t';
  return t;
}
constexpr Tables kTables = make_tables();

inline unsigned char at(std::string_view d, size_t i) {
  return static_cast<unsigned char>(d[i]);
}

// A line end at `i`: '\n', "\r\n", a '\r' that ends the datagram, or the end.
bool take_eol(std::string_view d, size_t& i) {
  if (i == d.size()) return true;
  if (d[i] == '\n') {
    ++i;
    return true;
  }
  if (d[i] == '\r') {
    if (i + 1 == d.size()) {
      ++i;
      return true;
    }
    if (d[i + 1] == '\n') {
      i += 2;
      return true;
    }
  }
  return false;
}

void skip_spaces(std::string_view d, size_t& i) {
  while (i < d.size() && d[i] == ' ') ++i;
}

bool is_ws(char c) {
  return c == ' ' || c == '\r' || c == '\n';
}

bool parse_bool(std::string_view v, bool& out) {
  if (v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE") {
    out = true;
    return true;
  }
  if (v == "f" || v == "F" || v == "false" || v == "False" || v == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

// Skips empty lines and comments before an entry; false at the end of the
// datagram. A comment holding a control character is left for the entry
// parser, which rejects it (its "measurement" starts with '#').
bool skip_to_entry(std::string_view d, size_t& i, uint32_t& line) {
  for (;;) {
    skip_spaces(d, i);
    if (i == d.size()) return false;
    size_t j = i;
    switch (d[i]) {
      case '#':
        ++j;
        while (j < d.size() && at(d, j) >= 32 && at(d, j) != 127) ++j;
        if (!take_eol(d, j)) return true;
        if (j > 0 && d[j - 1] == '\n') ++line;
        i = j;
        break;
      case '\n':
        ++line;
        ++i;
        break;
      case '\r':
        if (!take_eol(d, j)) return true;  // a lone '\r': the entry parser rejects it
        if (d[j - 1] == '\n') ++line;
        i = j;
        break;
      default: return true;
    }
  }
}

}  // namespace

LineProtocolParser::LineProtocolParser(const ParserOptions& opts)
    : precision_ns_(opts.precision_ns > 0 ? opts.precision_ns : 1), scratch_(new char[kMaxEntryBytes]) {}

std::span<const std::string_view> LineProtocolParser::reasons() const {
  return kReasonNames;
}

void LineProtocolParser::parse(std::string_view d, const ParseContext& ctx, PointSink& sink) {
  size_t i = 0;
  uint32_t line = 1;
  while (skip_to_entry(d, i, line)) {
    const size_t start = i;
    LineProtocolReason why;
    bool ok = parse_entry(d, i, ctx, sink, why);
    if (!ok) {
      // Skip the rest of the line the parse stopped on.
      const void* nl = i < d.size() ? std::memchr(d.data() + i, '\n', d.size() - i) : nullptr;
      size_t end = nl ? static_cast<const char*>(nl) - d.data() : d.size();
      std::string_view text = d.substr(start, end - start);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      sink.reject(static_cast<uint16_t>(why), line, text);
      i = nl ? end + 1 : d.size();
    }
    line += static_cast<uint32_t>(std::count(d.begin() + start, d.begin() + i, '\n'));
  }
}

std::string_view LineProtocolParser::token(std::string_view d, size_t& i, int cls, bool& high_bit) {
  const bool* allowed = kTables.allowed[cls];
  const char* unescape = kTables.unescape[cls];
  const size_t start = i;
  bool escaped = false;
  unsigned bits = 0;
  while (i < d.size()) {
    unsigned char c = at(d, i);
    if (c == '\\') {
      if (i + 1 < d.size() && unescape[at(d, i + 1)] != 0) {
        escaped = true;
        i += 2;
      } else {
        ++i;
      }
      continue;
    }
    if (!allowed[c]) break;
    bits |= c;
    ++i;
  }
  high_bit = (bits & 0x80) != 0;
  std::string_view raw = d.substr(start, i - start);
  if (!escaped) return raw;
  if (raw.size() > kMaxEntryBytes - scratch_used_) {
    // Only a string spanning lines in an input larger than any datagram
    // (`ringestd parse` of a big file) gets here; the entry is rejected.
    scratch_full_ = true;
    return raw;
  }
  char* out = scratch_.get() + scratch_used_;
  size_t n = 0;
  for (size_t k = 0; k < raw.size(); ++k) {
    char c = raw[k];
    if (c == '\\' && k + 1 < raw.size() && unescape[static_cast<unsigned char>(raw[k + 1])] != 0) {
      out[n++] = unescape[static_cast<unsigned char>(raw[++k])];
    } else {
      out[n++] = c;
    }
  }
  scratch_used_ += n;
  return {out, n};
}

bool LineProtocolParser::parse_entry(std::string_view d, size_t& i, const ParseContext& ctx, PointSink& sink,
                                     LineProtocolReason& why) {
  auto fail = [&why](R r) {
    why = r;
    return false;
  };
  {
    const void* nl = std::memchr(d.data() + i, '\n', d.size() - i);
    size_t len = (nl ? static_cast<const char*>(nl) - d.data() : d.size()) - i;
    // A string value may span lines, but never past the datagram, which is
    // at most kMaxEntryBytes: the scratch buffer always fits one entry.
    if (len > kMaxEntryBytes) return fail(R::kEntryTooLong);
  }
  scratch_used_ = 0;
  scratch_full_ = false;
  bool high = false;
  const std::string_view measurement = token(d, i, kMeasurement, high);
  if (measurement.empty() || measurement[0] == '#') return fail(R::kInvalidMeasurement);
  if (high && !text::valid_utf8(measurement)) return fail(R::kInvalidUtf8);

  // Tags.
  size_t n_tags = 0;
  while (i < d.size() && d[i] == ',') {
    ++i;
    const std::string_view key = token(d, i, kKey, high);
    if (key.empty() || i == d.size() || d[i] != '=') return fail(R::kInvalidTag);
    if (high && !text::valid_utf8(key)) return fail(R::kInvalidUtf8);
    ++i;
    const std::string_view value = token(d, i, kKey, high);
    if (value.empty()) return fail(R::kInvalidTag);
    if (high && !text::valid_utf8(value)) return fail(R::kInvalidUtf8);
    for (size_t t = 0; t < n_tags; ++t) {
      if (tags_[t].key == key) return fail(R::kDuplicateTag);
    }
    if (n_tags == kMaxTags) return fail(R::kTooManyTags);
    tags_[n_tags++] = Tag{key, value};
  }
  if (i == d.size() || d[i] != ' ') {
    return fail(i == d.size() || is_ws(d[i]) ? R::kMissingField
                : n_tags > 0                 ? R::kInvalidTag
                                             : R::kInvalidMeasurement);
  }
  skip_spaces(d, i);

  // Fields.
  size_t n_fields = 0;
  bool more = true;
  while (more) {
    if (i == d.size() || d[i] == '\n' || d[i] == '\r') {
      return fail(n_fields == 0 ? R::kMissingField : R::kInvalidField);
    }
    const std::string_view key = token(d, i, kKey, high);
    if (key.empty() || i == d.size() || d[i] != '=') return fail(R::kInvalidField);
    if (high && !text::valid_utf8(key)) return fail(R::kInvalidUtf8);
    ++i;
    if (i == d.size() || d[i] == ',' || is_ws(d[i])) return fail(R::kInvalidField);  // no value
    Field f;
    const char c = d[i];
    if (c == '"') {
      ++i;
      const std::string_view s = token(d, i, kString, high);
      if (i == d.size()) return fail(R::kUnterminatedString);
      ++i;
      if (high && !text::valid_utf8(s)) return fail(R::kInvalidUtf8);
      f = Field::string_(key, s);
    } else {
      const size_t v0 = i;
      while (i < d.size() && d[i] != ',' && !is_ws(d[i])) ++i;
      std::string_view v = d.substr(v0, i - v0);
      if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
        bool b;
        if (!parse_bool(v, b)) return fail(R::kInvalidFieldValue);
        f = Field::bool_(key, b);
      } else if (c == '-' || c == '.' || (c >= '0' && c <= '9')) {
        if (v.back() == 'i') {
          int64_t x;
          if (v.size() < 2 || v[0] == '+' || !text::parse_int(v.substr(0, v.size() - 1), x)) {
            return fail(R::kInvalidFieldValue);
          }
          f = Field::int_(key, x);
        } else if (v.back() == 'u') {
          uint64_t x;
          if (!text::parse_uint(v.substr(0, v.size() - 1), x)) return fail(R::kInvalidFieldValue);
          f = Field::uint_(key, x);
        } else {
          double x;
          if (!text::parse_float(v, x)) return fail(R::kInvalidFieldValue);
          f = Field::float_(key, x);
        }
      } else {
        return fail(R::kInvalidFieldValue);
      }
    }
    if (n_fields == kMaxFields) return fail(R::kTooManyFields);
    fields_[n_fields++] = f;
    if (i == d.size()) break;
    if (d[i] == ',') {
      ++i;
      continue;
    }
    if (!is_ws(d[i])) return fail(R::kInvalidField);
    more = false;
  }

  // Timestamp.
  int64_t time_ns;
  skip_spaces(d, i);
  if (take_eol(d, i)) {
    time_ns = ctx.receive_ns - ((ctx.receive_ns % precision_ns_) + precision_ns_) % precision_ns_;
  } else {
    const size_t t0 = i;
    while (i < d.size() && (d[i] == '-' || (d[i] >= '0' && d[i] <= '9'))) ++i;
    std::string_view ts = d.substr(t0, i - t0);
    if (i < d.size() && !is_ws(d[i])) return fail(R::kInvalidTimestamp);
    skip_spaces(d, i);
    if (!take_eol(d, i)) return fail(R::kInvalidTimestamp);
    if (ts.empty()) {
      time_ns = ctx.receive_ns - ((ctx.receive_ns % precision_ns_) + precision_ns_) % precision_ns_;
    } else {
      int64_t t;
      if (ts[0] == '+' || !text::parse_int(ts, t)) {
        // A well-formed integer that only overflows int64 is out of range.
        bool digits = ts.find('-', 1) == std::string_view::npos && ts != "-";
        return fail(digits ? R::kTimestampOutOfRange : R::kInvalidTimestamp);
      }
      if (!text::scale(t, precision_ns_, time_ns)) return fail(R::kTimestampOutOfRange);
    }
  }

  if (scratch_full_) return fail(R::kEntryTooLong);
  PointView p;
  p.measurement = measurement;
  p.tags = std::span<const Tag>(tags_.data(), n_tags);
  p.fields = std::span<const Field>(fields_.data(), n_fields);
  p.time_ns = time_ns;
  sink.point(p);
  return true;
}

}  // namespace ringest
