#include "daemon/formats/text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace ringest::text {

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= need) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (size_t k = 2; k <= need; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
    }
    p += need + 1;
  }
  return true;
}

namespace {

// std::from_chars reports underflow and overflow alike; strtod tells them
// apart. Only the rare out-of-range path copies (onto the stack).
bool out_of_range_value(std::string_view s, double& out) {
  char buf[512];
  if (s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  double v = std::strtod(buf, nullptr);
  if (std::isinf(v)) return false;
  out = v;
  return true;
}

bool parse_hex_float(std::string_view s, bool negative, double& out) {
  // s is what follows "0x": hex digits, optional '.', then a mandatory 'p' exponent.
  if (s.find_first_of("pP") == std::string_view::npos) return false;
  if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out, std::chars_format::hex);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) return false;
  if (ec != std::errc() || !std::isfinite(out)) return false;
  if (negative) out = -out;
  return true;
}

}  // namespace

bool parse_float(std::string_view s, double& out) {
  if (s.empty()) return false;
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    return parse_hex_float(body.substr(2), negative, out);
  }
  // from_chars would also read "inf" and "nan"; neither is a finite number.
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  const char* end = body.data() + body.size();
  auto [ptr, ec] = std::from_chars(body.data(), end, out);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    if (!out_of_range_value(body, out)) return false;
  } else if (ec != std::errc()) {
    return false;
  }
  if (!std::isfinite(out)) return false;
  if (negative) out = -out;
  return true;
}

bool parse_int(std::string_view s, int64_t& out) {
  if (s.size() > 1 && s[0] == '+') {
    s.remove_prefix(1);
    if (s[0] == '-') return false;
  }
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

bool parse_uint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace ringest::text
