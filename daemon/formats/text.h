// Small byte-level helpers the parsers share: UTF-8 validation and number
// reading with the exact acceptance rules each format documents. No
// allocation, no locale.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringest::text {

// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF) — the same rule as Go's utf8.Valid.
bool valid_utf8(std::string_view s);

// A finite double filling all of `s` in Go's strconv.ParseFloat syntax for
// the forms telemetry senders write: decimal with optional sign, fraction and
// exponent; "0x" hexadecimal with a 'p' exponent. A magnitude too small for a
// double reads as zero or a subnormal (as Go does); too large is an error.
bool parse_float(std::string_view s, double& out);

// Base-10 integers filling all of `s`; a leading '+' is accepted for the
// signed form. False on syntax errors and on overflow.
bool parse_int(std::string_view s, int64_t& out);
bool parse_uint(std::string_view s, uint64_t& out);

// v * unit into `out` (unit > 0); false when it does not fit an int64.
// Portable (no compiler builtins), for MSVC builds too.
inline bool scale(int64_t v, int64_t unit, int64_t& out) {
  constexpr int64_t kMax = INT64_MAX, kMin = INT64_MIN;
  if (v > kMax / unit || v < kMin / unit) return false;
  out = v * unit;
  return true;
}

}  // namespace ringest::text
