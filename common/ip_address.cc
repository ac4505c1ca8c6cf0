#include "common/ip_address.h"

#include <charconv>
#include <cstring>

#include "common/socket_api.h"

namespace ringest {

bool parse_ip(std::string_view text, SourceAddress& out) {
  out = SourceAddress{};
  char buf[INET6_ADDRSTRLEN + 1];  // the longest text form there is, and its NUL
  if (text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, out.addr) == 1) {
    out.family = SourceAddress::kIPv4;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.addr) == 1) {
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
