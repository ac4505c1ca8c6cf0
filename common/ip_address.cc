#include "common/ip_address.h"

#include <charconv>
#include <cstring>

namespace ringest {
namespace {

bool parse_v4(std::string_view s, uint8_t out[4]) {
  for (int i = 0; i < 4; ++i) {
    size_t dot = i < 3 ? s.find('.') : s.size();
    if (dot == std::string_view::npos || dot == 0 || dot > 3) return false;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + dot, v);
    if (ec != std::errc() || p != s.data() + dot || v > 255) return false;
    out[i] = static_cast<uint8_t>(v);
    s.remove_prefix(i < 3 ? dot + 1 : dot);
  }
  return s.empty();
}

// Parses colon-separated hex groups into `words`; returns how many, or -1.
int parse_groups(std::string_view s, uint16_t* words, int max, uint8_t* v4_tail, bool& has_v4) {
  int n = 0;
  while (!s.empty()) {
    size_t colon = s.find(':');
    std::string_view g = s.substr(0, colon);
    if (colon == std::string_view::npos && g.find('.') != std::string_view::npos) {
      if (n + 2 > max || !parse_v4(g, v4_tail)) return -1;
      has_v4 = true;
      return n;
    }
    if (g.empty() || g.size() > 4 || n == max) return -1;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(g.data(), g.data() + g.size(), v, 16);
    if (ec != std::errc() || p != g.data() + g.size()) return -1;
    words[n++] = static_cast<uint16_t>(v);
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
    if (s.empty()) return -1;  // trailing single colon
  }
  return n;
}

bool parse_v6(std::string_view s, uint8_t out[16]) {
  uint16_t head[8], tail[8];
  uint8_t v4[4];
  bool head_v4 = false, tail_v4 = false;
  size_t gap = s.find("::");
  int nh, nt = 0;
  if (gap == std::string_view::npos) {
    nh = parse_groups(s, head, 8, v4, head_v4);
    if (nh < 0 || nh + (head_v4 ? 2 : 0) != 8) return false;
  } else {
    std::string_view left = s.substr(0, gap), right = s.substr(gap + 2);
    if (right.find("::") != std::string_view::npos) return false;
    nh = left.empty() ? 0 : parse_groups(left, head, 8, v4, head_v4);
    if (nh < 0 || head_v4) return false;
    nt = right.empty() ? 0 : parse_groups(right, tail, 8, v4, tail_v4);
    if (nt < 0 || nh + nt + (tail_v4 ? 2 : 0) > 7) return false;
  }
  std::memset(out, 0, 16);
  for (int i = 0; i < nh; ++i) {
    out[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(head[i]);
  }
  int v4_words = (head_v4 || tail_v4) ? 2 : 0;
  int start = 8 - nt - v4_words;
  for (int i = 0; i < nt; ++i) {
    out[2 * (start + i)] = static_cast<uint8_t>(tail[i] >> 8);
    out[2 * (start + i) + 1] = static_cast<uint8_t>(tail[i]);
  }
  if (v4_words) std::memcpy(out + 12, v4, 4);
  return true;
}

}  // namespace

bool parse_ip(std::string_view text, SourceAddress& out) {
  out = SourceAddress{};
  if (parse_v4(text, out.addr)) {
    out.family = SourceAddress::kIPv4;
    return true;
  }
  if (parse_v6(text, out.addr)) {
    out.family = SourceAddress::kIPv6;
    return true;
  }
  return false;
}

bool parse_cidr(std::string_view text, Cidr& out) {
  size_t slash = text.find('/');
  if (!parse_ip(text.substr(0, slash), out.base)) return false;
  unsigned bits = out.base.family == SourceAddress::kIPv4 ? 32 : 128;
  unsigned prefix = bits;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix > bits) return false;
  }
  out.prefix = static_cast<uint8_t>(prefix);
  return true;
}

bool Cidr::contains(const SourceAddress& a) const {
  const uint8_t* addr = a.addr;
  uint8_t mapped[16];
  // An IPv4 block also matches IPv4-mapped IPv6 sources (::ffff:a.b.c.d).
  static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (base.family == SourceAddress::kIPv4 && a.family == SourceAddress::kIPv6 &&
      std::memcmp(a.addr, kMappedPrefix, 12) == 0) {
    std::memcpy(mapped, a.addr + 12, 4);
    addr = mapped;
  } else if (a.family != base.family) {
    return false;
  }
  unsigned full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(addr, base.addr, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[full] & mask) == (base.addr[full] & mask);
}

}  // namespace ringest
