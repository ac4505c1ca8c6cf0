// StatsD / DogStatsD: the grammar this parser accepts and how it maps onto points.
//
// Datagram: lines separated by '\n'; one '\r' before a '\n' (or at the end) is
// dropped; empty lines are skipped and not counted. Line numbers given to
// PointSink::reject() count every physical line, empty ones included. Each line
// is accepted or rejected whole (a rejected line emits nothing), and a rejected
// line never stops the lines after it.
//
// Line:  <name> ':' <value> (':' <value>)* '|' <type> ('|' <section>)*
//   name     every byte before the first ':'; must be non-empty. A '|' before
//            any ':' means the colon is missing. No other character is
//            special: Telegraf's "name,k=v:1|c" keeps "name,k=v" as the name.
//   value    c, g, ms, h, d: a finite decimal number as std::from_chars reads
//            it ("1", "-2.5", ".5", "1.", "4.7E-5"), optionally preceded by
//            one '+'. No spaces, no hex, no inf/nan, not empty.
//            s: the member, any non-empty bytes (a number is kept as text).
//            Several values ("name:1:2:3|d", DogStatsD packing) give one point
//            each, at most kMaxValues, all with the same tags and sections.
//   type     c counter, g gauge, ms timing, h histogram, s set, d distribution.
//            Case matters ("C" is rejected).
//   section  in any order, each known one at most once:
//            '@'<rate>   sample rate, a number in (0, 1]. "@2" and "@0" are
//                        rejected: a rate is a probability.
//            '#'<tags>   DogStatsD tags, comma separated; "k:v" splits at the
//                        first ':' (the value may hold more ':'); a bare "t"
//                        is the tag t="" ; empty items (",,", a lone "#") are
//                        skipped; an empty key is rejected; at most kMaxTags.
//            'T'<secs>   unix time in whole seconds (a non-negative integer).
//            'c:'<id>    the container id (DogStatsD v1.2); must be non-empty.
//            'e:'<data>  external data (DogStatsD origin detection), as sent.
//            'card:'<c>  the tag cardinality the client asks for, as sent.
//            Anything else, an empty section ("k:1|c|") included, is skipped,
//            as the Datadog agent does with what it does not know: the line is
//            kept and the section counted (PointSink::skipped, by its first
//            byte; at most kMaxSkipsCounted a line). A known section that is
//            malformed ("@2", "T-1", "c:") still rejects the line.
//
// Signs. A leading '+' or '-' on a gauge value marks a delta (statsd's
// "gaugor:+4|g" adds 4): the point gets the bool field delta=true and the
// signed value ("-10" gives value -10). A gauge without a sign is absolute and
// has no delta field. On the other numeric types the sign is only the number's
// sign: "+10|c" counts 10 and "-10|c" counts -10 (statsd accepts both), "+1|ms"
// is 1. A timing is a duration: below zero is rejected ("-0" is zero). A
// histogram or distribution may be negative. A set member is text: "+10|s" is
// the member "+10".
//
// Point (one per value):
//   measurement  the name
//   tags         the DogStatsD tags in the order given ("k:v" is k=v, a bare
//                "t" is t=""), then
//                metric_type = counter|gauge|timing|histogram|set|distribution.
//                A DogStatsD tag named metric_type is kept as sent, before ours.
//   fields       value         float (a set: string, the member)
//                sample_rate   float, only when given and not 1
//                delta         bool true, only for a signed gauge value
//                container_id  string, only when "|c:" is given
//                external_data string, only when "|e:" is given
//                cardinality   string, only when "|card:" is given
//   time         "|T" seconds as ns, else ParseContext::receive_ns
//
// Event:  '_e{' <title bytes> ',' <text bytes> '}:' <title> '|' <text> ('|' <section>)*
//   The lengths are decimal byte counts (UTF-8 bytes, not characters) and
//   must match: title and text are taken by length, so they may hold '|'.
//   The title is not empty. In the text, the two bytes "\\n" stand for a
//   newline (what DogStatsD clients send for one).
//   section  'd:'<secs> time, 'h:'<host>, 'p:'normal|low, 't:'error|warning|
//            info|success, 'k:'<aggregation key>, 's:'<source type>,
//            '#'<tags>, 'c:'<container id>; any order, each at most once;
//            anything else is skipped and counted, as for metrics.
//   Point: measurement statsd_event; tags = the DogStatsD tags; fields title,
//   text, priority (default normal), alert_type (default info), and when
//   given hostname, aggregation_key, source_type_name, container_id; time
//   "d:" seconds, else the receive time.
// Service check:  '_sc|' <name> '|' <status> ('|' <section>)*
//   status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
//   section  'd:'<secs>, 'h:'<host>, '#'<tags>, 'c:'<container id>, and
//            'm:'<message>, which must come last and runs to the end of the
//            line ('|' included; "\\n" is a newline); anything else is
//            skipped and counted.
//   Point: measurement statsd_service_check; tags = the DogStatsD tags;
//   fields name, status (int), and when given hostname, message,
//   container_id; time "d:" seconds, else the receive time.
// A metric whose name merely starts with '_' ("_internal:1|c") is a metric.
#include "daemon/formats/statsd.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "daemon/formats/separators.h"

namespace ringest {
namespace {

// The sections kept as string fields (named as the Datadog agent names them),
// by prefix; the value is what follows the prefix, as sent.
struct TextSection {
  std::string_view prefix;
  std::string_view field;
  std::optional<StatsdReason> if_empty;  // an empty value is rejected thus
};
constexpr TextSection kTextSections[] = {
    {"c:", "container_id", StatsdReason::kInvalidContainerId},
    {"e:", "external_data", std::nullopt},
    {"card:", "cardinality", std::nullopt},
};

// Indexed by StatsdReason.
constexpr std::string_view kReasonNames[] = {
    "line_too_long",         "missing_colon",       "empty_name",           "invalid_value",
    "negative_timing",       "missing_type",        "unknown_type",         "invalid_sample_rate",
    "invalid_timestamp",     "invalid_tag",         "invalid_container_id", "unknown_section",
    "duplicate_section",     "too_many_tags",       "too_many_values",      "invalid_event",
    "invalid_service_check", "invalid_event_field",
};
static_assert(std::size(kReasonNames) == static_cast<size_t>(StatsdReason::kCount));

// Skipped sections, by first byte: a-z, A-Z, anything else, empty.
constexpr size_t kSkipOther = 52, kSkipEmpty = 53, kSkipKinds = 54;
const std::array<std::string, kSkipKinds> kSkipNameText = [] {
  std::array<std::string, kSkipKinds> names;
  for (size_t i = 0; i < 26; ++i) {
    names[i] = "unknown_section_" + std::string(1, static_cast<char>('a' + i));
    names[26 + i] = "unknown_section_" + std::string(1, static_cast<char>('A' + i));
  }
  names[kSkipOther] = "unknown_section_other";
  names[kSkipEmpty] = "unknown_section_empty";
  return names;
}();
const std::array<std::string_view, kSkipKinds> kSkipNames = [] {
  std::array<std::string_view, kSkipKinds> views;
  for (size_t i = 0; i < kSkipKinds; ++i) views[i] = kSkipNameText[i];
  return views;
}();

uint16_t skip_kind(std::string_view section) {
  if (section.empty()) return kSkipEmpty;
  char c = section[0];
  if (c >= 'a' && c <= 'z') return static_cast<uint16_t>(c - 'a');
  if (c >= 'A' && c <= 'Z') return static_cast<uint16_t>(26 + c - 'A');
  return kSkipOther;
}

enum class Type : uint8_t { kCounter, kGauge, kTiming, kHistogram, kSet, kDistribution };

// The metric_type tag's value, by Type (its name is kKnownNames[id]).
constexpr Known kTypeKnown[] = {Known::kCounter,   Known::kGauge, Known::kTiming,
                                Known::kHistogram, Known::kSet,   Known::kDistribution};

// The type letters are one or two bytes; anything else is unknown.
bool parse_type(std::string_view t, Type& out) {
  if (t.size() == 1) {
    switch (t[0]) {
      case 'c': out = Type::kCounter; return true;
      case 'g': out = Type::kGauge; return true;
      case 'h': out = Type::kHistogram; return true;
      case 's': out = Type::kSet; return true;
      case 'd': out = Type::kDistribution; return true;
      default: return false;
    }
  }
  if (t.size() == 2 && t[0] == 'm' && t[1] == 's') {
    out = Type::kTiming;
    return true;
  }
  return false;
}

// The values nearly every line carries ("1", "-3", "12.5"): an optional '-',
// digits, optionally '.' and more digits, 15 digits at most. Their digits are
// then an integer below 2^53 and the power of ten divided by is exact too, so
// the one correctly rounded division gives what std::from_chars would, at a
// fraction of its cost. Anything else is left to std::from_chars.
bool parse_short_decimal(std::string_view s, double& out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = s[0] == '-' ? 1 : 0;
  const size_t digits_start = i;
  uint64_t m = 0;
  auto digits = [&] {  // appends a run of digits to m; returns how many
    const size_t from = i;
    while (i < s.size() && static_cast<unsigned char>(s[i] - '0') < 10) m = m * 10 + static_cast<unsigned>(s[i++] - '0');
    return i - from;
  };
  size_t n_digits = digits();
  size_t fraction = 0;
  if (n_digits == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    fraction = digits();
    if (fraction == 0) return false;
    n_digits += fraction;
  }
  if (i != s.size() || n_digits > 15) return false;
  const auto whole = static_cast<double>(m);  // exact: m < 2^53
  double v = fraction == 0 ? whole : whole / kPow10[fraction];  // most values are whole: no division
  out = digits_start == 1 ? -v : v;
  return true;
}

// Up to 15 digits filling all of `s` (an integer below 2^53, so the double is
// exact): what parse_number gives them, without a sign, at a loop's cost.
inline bool small_integer(std::string_view s, double& out) {
  if (s.empty() || s.size() > 15) return false;
  uint64_t v = 0;
  for (char c : s) {
    const auto digit = static_cast<unsigned char>(c - '0');
    if (digit > 9) return false;
    v = v * 10 + digit;
  }
  out = static_cast<double>(v);
  return true;
}

// A finite double filling all of `s`, with one optional leading '+' (which
// std::from_chars does not take). `signed_out` tells whether a sign was given.
bool parse_number(std::string_view s, double& out, bool& signed_out) {
  if (s.empty()) return false;
  signed_out = s[0] == '+' || s[0] == '-';
  if (s[0] == '+') {
    s.remove_prefix(1);
    if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  }
  if (parse_short_decimal(s, out)) return true;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

bool parse_sample_rate(std::string_view s, double& out) {
  if (s.empty() || s[0] == '+') return false;
  if (!parse_short_decimal(s, out)) {  // "0.1" and the like: what from_chars gives, sooner
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    if (ec != std::errc() || ptr != end) return false;
  }
  return out > 0.0 && out <= 1.0;
}

bool parse_timestamp(std::string_view s, int64_t& out_ns) {
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000'000;
  int64_t secs = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, secs);
  if (s.empty() || ec != std::errc() || ptr != end || secs < 0 || secs > kMaxSeconds) {
    return false;
  }
  out_ns = secs * 1'000'000'000;
  return true;
}

// Splits `s` at the first `sep`: returns the head, leaves the tail (after the
// separator) in `s`, and says whether a separator was found.
std::string_view split_at(std::string_view& s, size_t n, bool& found) {
  std::string_view head = s.substr(0, n);
  found = n < s.size();
  s.remove_prefix(found ? n + 1 : n);
  return head;
}

std::string_view take_until(std::string_view& s, char sep, bool& found) {
  const void* hit = s.empty() ? nullptr : std::memchr(s.data(), sep, s.size());
  return split_at(s, hit ? static_cast<size_t>(static_cast<const char*>(hit) - s.data()) : s.size(), found);
}

// The same for what is nearly always a few bytes long (a value, a type): a
// loop, shorter than a call to memchr takes to set up.
inline std::string_view take_short_until(std::string_view& s, char sep, bool& found) {
  size_t n = 0;
  while (n < s.size() && s[n] != sep) ++n;
  return split_at(s, n, found);
}

// The first ':' or '|' in `s` (or its size): a metric's name ends there. Eight
// bytes at a time, as names are tens of bytes long: a byte equal to c is a zero
// byte of w ^ (c in every byte), and the lowest byte the classic zero-byte test
// flags is always a true one.
size_t find_colon_or_bar(std::string_view s) {
  static_assert(std::endian::native == std::endian::little);
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const uint64_t a = w ^ (kOnes * ':');
    const uint64_t b = w ^ (kOnes * '|');
    if (uint64_t hit = (((a - kOnes) & ~a) | ((b - kOnes) & ~b)) & kHigh)
      return i + static_cast<size_t>(std::countr_zero(hit) >> 3);
  }
  while (i < s.size() && s[i] != ':' && s[i] != '|') ++i;
  return i;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

StatsdParser::StatsdParser(const ParserOptions& /*opts*/) {}

std::span<const std::string_view> StatsdParser::reasons() const {
  return kReasonNames;
}

std::span<const std::string_view> StatsdParser::skips() const {
  return kSkipNames;
}

void StatsdParser::skip(std::string_view section) {
  if (n_skips_ < kMaxSkipsCounted) skips_[n_skips_++] = skip_kind(section);
}

void StatsdParser::parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) {
  // The lines as LineCursor splits them (lines.h), found from the separators
  // of the 64 bytes at each line's start.
  const char* d = datagram.data();
  const size_t size = datagram.size();
  uint32_t line_no = 0;
  SeparatorWindow window(d, size);
  for (size_t at = 0; at < size;) {
    const size_t left = size - at;
    const Separators seps = window.from(at);
    size_t n = left;  // the line's bytes, up to its '\n' or the end
    if (seps.newline != 0) {
      n = static_cast<size_t>(std::countr_zero(seps.newline));
    } else if (left > kSeparatorWindow) {  // a line longer than the window
      const void* hit = std::memchr(d + at + kSeparatorWindow, '\n', left - kSeparatorWindow);
      if (hit != nullptr) n = static_cast<size_t>(static_cast<const char*>(hit) - (d + at));
    }
    std::string_view line(d + at, n);
    at += n + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() <= kSeparatorWindow) {
      const uint64_t in_line = line.size() == kSeparatorWindow ? ~uint64_t{0} : (uint64_t{1} << line.size()) - 1;
      if (parse_simple(line, seps.colon & in_line, seps.bar & in_line, ctx, sink)) continue;
    }
    hand_over_run(sink);  // the lines before this one come first
    StatsdReason why;
    n_skips_ = 0;
    if (!parse_line(line, ctx, sink, why)) {
      sink.reject(static_cast<uint16_t>(why), line_no, line);
    } else {
      for (size_t i = 0; i < n_skips_; ++i) sink.skipped(skips_[i]);
    }
  }
  hand_over_run(sink);
}

// Nearly every line of a flood is parsed here: the helpers are compiled into
// it rather than called.
[[gnu::flatten]] bool StatsdParser::parse_simple(std::string_view line, uint64_t colons, uint64_t bars,
                                                 const ParseContext& ctx, PointSink& sink) {
  if (line[0] == '_') return false;
  // The name ends at the first separator, a ':'.
  uint64_t seps = colons | bars;
  if (seps == 0) return false;
  const auto colon = static_cast<size_t>(std::countr_zero(seps));
  if (colon == 0 || (colons >> colon & 1) == 0) return false;
  // One value: the next separator is a '|', and not right after the ':'.
  seps &= seps - 1;
  if (seps == 0) return false;
  const auto value_end = static_cast<size_t>(std::countr_zero(seps));
  if ((bars >> value_end & 1) == 0 || value_end == colon + 1) return false;
  // The type runs to the next '|' or the end; after it, one section at most.
  bars &= ~((uint64_t{2} << value_end) - 1);  // the '|' after the value's
  const size_t type_end = bars != 0 ? static_cast<size_t>(std::countr_zero(bars)) : line.size();
  Type type;
  if (!parse_type(line.substr(value_end + 1, type_end - value_end - 1), type)) return false;
  // Built where the run keeps it; counted in the run only once accepted.
  MetricView& m = run_[n_run_];
  m.has_rate = false;
  m.sample_rate = 1;
  m.delta = false;
  m.value = 0;
  m.member = {};
  if (bars != 0) {  // a sample rate, and nothing after it
    if ((bars & (bars - 1)) != 0 || type_end + 1 == line.size() || line[type_end + 1] != '@') return false;
    if (!parse_sample_rate(line.substr(type_end + 2), m.sample_rate)) return false;
    m.has_rate = m.sample_rate != 1.0;
  }
  const std::string_view value = line.substr(colon + 1, value_end - colon - 1);
  if (type == Type::kSet) {
    m.member = value;
  } else if (!small_integer(value, m.value)) {  // most values are a few digits
    bool sign = false;
    if (!parse_number(value, m.value, sign)) return false;
    if (type == Type::kTiming && m.value < 0) return false;
    m.delta = type == Type::kGauge && sign;
  }
  m.measurement = line.substr(0, colon);
  m.type = kTypeKnown[static_cast<size_t>(type)];
  m.time_ns = ctx.receive_ns;
  if (++n_run_ == kRun) hand_over_run(sink);
  return true;
}

bool StatsdParser::parse_line(std::string_view line, const ParseContext& ctx, PointSink& sink,
                              StatsdReason& why) {
  auto fail = [&why](StatsdReason r) {
    why = r;
    return false;
  };
  if (line.size() > kMaxLineBytes) return fail(StatsdReason::kLineTooLong);
  if (line[0] == '_') {
    if (starts_with(line, "_e{")) return parse_event(line, ctx, sink, why);
    if (starts_with(line, "_sc|")) return parse_service_check(line, ctx, sink, why);
  }

  // name ':' values '|' type
  const size_t colon = find_colon_or_bar(line);
  if (colon == line.size() || line[colon] == '|') return fail(StatsdReason::kMissingColon);
  if (colon == 0) return fail(StatsdReason::kEmptyName);
  const std::string_view name = line.substr(0, colon);
  std::string_view rest = line.substr(colon + 1);
  bool found = false;
  std::string_view values_text = take_short_until(rest, '|', found);
  if (!found) return fail(StatsdReason::kMissingType);
  bool have_sections = false;
  const std::string_view type_text = take_short_until(rest, '|', have_sections);
  if (type_text.empty()) return fail(StatsdReason::kMissingType);
  Type type;
  if (!parse_type(type_text, type)) return fail(StatsdReason::kUnknownType);

  // Optional sections, any order, each once.
  size_t n_tags = 0;
  double sample_rate = 1.0;
  bool have_rate = false, have_tags = false, have_time = false, have_texts = false;
  int64_t time_ns = ctx.receive_ns;
  std::array<std::optional<std::string_view>, std::size(kTextSections)> texts;
  while (have_sections) {
    std::string_view sec = take_until(rest, '|', have_sections);
    if (sec.empty()) {
      skip(sec);
      continue;
    }
    switch (sec[0]) {
      case '@':
        if (have_rate) return fail(StatsdReason::kDuplicateSection);
        have_rate = true;
        if (!parse_sample_rate(sec.substr(1), sample_rate)) {
          return fail(StatsdReason::kInvalidSampleRate);
        }
        break;
      case '#':
        if (have_tags) return fail(StatsdReason::kDuplicateSection);
        have_tags = true;
        if (!parse_tags(sec.substr(1), n_tags, why)) return false;
        break;
      case 'T':
        if (have_time) return fail(StatsdReason::kDuplicateSection);
        have_time = true;
        if (!parse_timestamp(sec.substr(1), time_ns)) return fail(StatsdReason::kInvalidTimestamp);
        break;
      case 'c':
      case 'e': {
        size_t i = 0;
        while (i < texts.size() && !starts_with(sec, kTextSections[i].prefix)) ++i;
        if (i == texts.size()) {
          skip(sec);
          break;
        }
        if (texts[i]) return fail(StatsdReason::kDuplicateSection);
        texts[i] = sec.substr(kTextSections[i].prefix.size());
        have_texts = true;
        if (texts[i]->empty() && kTextSections[i].if_empty) return fail(*kTextSections[i].if_empty);
        break;
      }
      default: skip(sec); break;
    }
  }

  // Values: all checked before the first point goes out, so a line is kept or
  // rejected whole.
  size_t n_values = 0;
  bool more_values = true;
  while (more_values) {
    std::string_view v = take_short_until(values_text, ':', more_values);
    if (v.empty()) return fail(StatsdReason::kInvalidValue);
    if (n_values == kMaxValues) return fail(StatsdReason::kTooManyValues);
    values_[n_values++] = v;
  }
  std::array<double, kMaxValues> numbers;
  std::array<bool, kMaxValues> signs;
  if (type != Type::kSet) {
    for (size_t i = 0; i < n_values; ++i) {
      bool sign = false;
      if (!parse_number(values_[i], numbers[i], sign)) return fail(StatsdReason::kInvalidValue);
      if (type == Type::kTiming && numbers[i] < 0) return fail(StatsdReason::kNegativeTiming);
      signs[i] = sign;
    }
  }

  size_t n_all_tags = n_tags;
  Tag& type_tag = tags_[n_all_tags++];  // member by member: a whole Tag is copied with a slow `rep movsb`
  type_tag.key = known_name(Known::kMetricType);
  type_tag.key_id = Known::kMetricType;
  type_tag.value_id = kTypeKnown[static_cast<size_t>(type)];
  type_tag.value = known_name(type_tag.value_id);

  std::array<Field, kMetricFields>& fields = metric_fields_;
  size_t n_fields = 1;
  if (have_rate && sample_rate != 1.0) fields[n_fields++] = Field::float_(known_name(Known::kSampleRate), sample_rate).known(Known::kSampleRate);
  for (size_t i = 0; have_texts && i < texts.size(); ++i) {
    if (texts[i]) fields[n_fields++] = Field::string_(kTextSections[i].field, *texts[i]);
  }
  PointView p;
  p.measurement = name;
  p.tags = std::span<const Tag>(tags_.data(), n_all_tags);
  p.time_ns = time_ns;
  for (size_t i = 0; i < n_values; ++i) {
    size_t n = n_fields;
    if (type == Type::kSet) {
      fields[0] = Field::string_(known_name(Known::kValue), values_[i]).known(Known::kValue);
    } else {
      fields[0] = Field::float_(known_name(Known::kValue), numbers[i]).known(Known::kValue);
      if (type == Type::kGauge && signs[i]) fields[n++] = Field::bool_(known_name(Known::kDelta), true).known(Known::kDelta);
    }
    p.fields = std::span<const Field>(fields.data(), n);
    sink.point(p);
  }
  return true;
}

bool StatsdParser::parse_tags(std::string_view list, size_t& n_tags, StatsdReason& why) {
  bool more_tags = !list.empty();
  while (more_tags) {
    std::string_view item = take_until(list, ',', more_tags);
    if (item.empty()) continue;
    bool has_value = false;
    std::string_view key = take_until(item, ':', has_value);
    if (key.empty()) {
      why = StatsdReason::kInvalidTag;
      return false;
    }
    if (n_tags == kMaxTags) {
      why = StatsdReason::kTooManyTags;
      return false;
    }
    tags_[n_tags++] = Tag{key, item};
  }
  return true;
}

std::string_view StatsdParser::unescape_newlines(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
      text_[n++] = '\n';
      ++i;
    } else {
      text_[n++] = s[i];
    }
  }
  return {text_.data(), n};
}

namespace {

// Decimal digits filling all of `s` (a byte count; at most 5 digits).
bool parse_length(std::string_view s, size_t& out) {
  if (s.empty() || s.size() > 5) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  out = v;
  return true;
}

// Remembers which sections ("d:", "h:", "#", ...) a line has had.
struct Seen {
  uint64_t bits[2] = {0, 0};
  bool first(char c) {
    const unsigned i = static_cast<unsigned char>(c) & 127;
    const uint64_t bit = uint64_t{1} << (i & 63);
    if (bits[i >> 6] & bit) return false;
    bits[i >> 6] |= bit;
    return true;
  }
};


// A "|x:value" (or "|#tags") section of an event or service check: its key
// and value; false for any other shape.
bool split_section(std::string_view sec, char& key, std::string_view& value) {
  if (sec.empty() || (sec[0] != '#' && (sec.size() < 2 || sec[1] != ':'))) return false;
  key = sec[0];
  value = key == '#' ? sec.substr(1) : sec.substr(2);
  return true;
}

constexpr std::string_view kSharedKeys = "#dhc";

}  // namespace

StatsdParser::Section StatsdParser::shared_section(char key, std::string_view value, size_t& n_tags,
                                                   int64_t& time_ns, Field* fields, size_t& nf, StatsdReason& why) {
  switch (key) {
    case '#': return parse_tags(value, n_tags, why) ? Section::kTaken : Section::kRejected;
    case 'd':
      if (parse_timestamp(value, time_ns)) return Section::kTaken;
      why = StatsdReason::kInvalidTimestamp;
      return Section::kRejected;
    case 'h': fields[nf++] = Field::string_("hostname", value); return Section::kTaken;
    case 'c':
      if (value.empty()) {
        why = StatsdReason::kInvalidContainerId;
        return Section::kRejected;
      }
      fields[nf++] = Field::string_("container_id", value);
      return Section::kTaken;
    default: return Section::kNotShared;
  }
}

void StatsdParser::emit(std::string_view measurement, size_t n_tags, std::span<const Field> fields, int64_t time_ns,
                        PointSink& sink) {
  PointView p;
  p.measurement = measurement;
  p.tags = std::span<const Tag>(tags_.data(), n_tags);
  p.fields = fields;
  p.time_ns = time_ns;
  sink.point(p);
}

bool StatsdParser::parse_event(std::string_view line, const ParseContext& ctx, PointSink& sink,
                               StatsdReason& why) {
  auto fail = [&why](StatsdReason r) {
    why = r;
    return false;
  };
  std::string_view rest = line.substr(3);  // after "_e{"
  bool found = false;
  size_t title_len = 0, text_len = 0;
  if (!parse_length(take_until(rest, ',', found), title_len) || !found) {
    return fail(StatsdReason::kInvalidEvent);
  }
  if (!parse_length(take_until(rest, '}', found), text_len) || !found) {
    return fail(StatsdReason::kInvalidEvent);
  }
  if (rest.empty() || rest[0] != ':') return fail(StatsdReason::kInvalidEvent);
  rest.remove_prefix(1);
  if (title_len == 0 || rest.size() < title_len + 1 + text_len || rest[title_len] != '|') {
    return fail(StatsdReason::kInvalidEvent);
  }
  const std::string_view title = rest.substr(0, title_len);
  const std::string_view raw_text = rest.substr(title_len + 1, text_len);
  rest.remove_prefix(title_len + 1 + text_len);
  if (!rest.empty() && rest[0] != '|') return fail(StatsdReason::kInvalidEvent);
  bool more = !rest.empty();
  if (more) rest.remove_prefix(1);

  std::array<Field, 8> fields;
  size_t nf = 2;  // title and text, filled in last
  std::string_view priority = "normal", alert_type = "info";
  size_t n_tags = 0;
  int64_t time_ns = ctx.receive_ns;
  Seen seen;
  while (more) {
    const std::string_view sec = take_until(rest, '|', more);
    char k = 0;
    std::string_view v;
    if (!split_section(sec, k, v) || (kSharedKeys.find(k) == std::string_view::npos &&
                                      std::string_view("ptks").find(k) == std::string_view::npos)) {
      skip(sec);
      continue;
    }
    if (!seen.first(k)) return fail(StatsdReason::kDuplicateSection);
    Section shared = shared_section(k, v, n_tags, time_ns, fields.data(), nf, why);
    if (shared == Section::kRejected) return false;
    if (shared == Section::kTaken) continue;
    switch (k) {
      case 'p':
        if (v != "normal" && v != "low") return fail(StatsdReason::kInvalidEventField);
        priority = v;
        break;
      case 't':
        if (v != "error" && v != "warning" && v != "info" && v != "success") {
          return fail(StatsdReason::kInvalidEventField);
        }
        alert_type = v;
        break;
      case 'k': fields[nf++] = Field::string_("aggregation_key", v); break;
      case 's': fields[nf++] = Field::string_("source_type_name", v); break;
    }
  }
  fields[0] = Field::string_("title", title);
  fields[1] = Field::string_("text", unescape_newlines(raw_text));
  fields[nf++] = Field::string_("priority", priority);
  fields[nf++] = Field::string_("alert_type", alert_type);
  emit("statsd_event", n_tags, std::span<const Field>(fields.data(), nf), time_ns, sink);
  return true;
}

bool StatsdParser::parse_service_check(std::string_view line, const ParseContext& ctx, PointSink& sink,
                                       StatsdReason& why) {
  auto fail = [&why](StatsdReason r) {
    why = r;
    return false;
  };
  std::string_view rest = line.substr(4);  // after "_sc|"
  bool more = false;
  const std::string_view name = take_until(rest, '|', more);
  if (name.empty() || !more) return fail(StatsdReason::kInvalidServiceCheck);
  const std::string_view status = take_until(rest, '|', more);
  if (status.size() != 1 || status[0] < '0' || status[0] > '3') {
    return fail(StatsdReason::kInvalidServiceCheck);
  }
  std::array<Field, 5> fields;
  size_t nf = 0;
  fields[nf++] = Field::string_("name", name);
  fields[nf++] = Field::int_("status", status[0] - '0');
  size_t n_tags = 0;
  int64_t time_ns = ctx.receive_ns;
  Seen seen;
  while (more) {
    if (starts_with(rest, "m:")) {  // the message runs to the end of the line
      fields[nf++] = Field::string_("message", unescape_newlines(rest.substr(2)));
      break;
    }
    const std::string_view sec = take_until(rest, '|', more);
    char k = 0;
    std::string_view v;
    if (!split_section(sec, k, v) || kSharedKeys.find(k) == std::string_view::npos) {
      skip(sec);
      continue;
    }
    if (!seen.first(k)) return fail(StatsdReason::kDuplicateSection);
    if (shared_section(k, v, n_tags, time_ns, fields.data(), nf, why) == Section::kRejected) return false;
  }
  emit("statsd_service_check", n_tags, std::span<const Field>(fields.data(), nf), time_ns, sink);
  return true;
}

}  // namespace ringest
