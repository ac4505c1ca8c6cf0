#include "common/source_address.h"

#include "common/socket_api.h"

namespace ringest {

namespace {

void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint32_t get_le32(const uint8_t* p) {
  return p[0] | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace

SourceAddress SourceAddress::unix_peer(uint32_t pid, uint32_t uid) {
  SourceAddress a;
  a.family = kUnix;
  put_le32(a.addr, pid);
  put_le32(a.addr + 4, uid);
  return a;
}

uint32_t SourceAddress::unix_pid() const { return get_le32(addr); }
uint32_t SourceAddress::unix_uid() const { return get_le32(addr + 4); }

std::string SourceAddress::to_string() const {
  char text[INET6_ADDRSTRLEN];
  if (family == kIPv4) {
    if (inet_ntop(AF_INET, addr, text, sizeof text) == nullptr) return "";
    return std::string(text) + ":" + std::to_string(port);
  }
  if (family == kIPv6) {
    // RFC 5952: lower case, leading zeros dropped, the longest run of zero
    // groups as "::", IPv4-mapped addresses as ::ffff:192.0.2.1.
    if (inet_ntop(AF_INET6, addr, text, sizeof text) == nullptr) return "";
    return "[" + std::string(text) + "]:" + std::to_string(port);
  }
  if (family == kUnix) return "pid=" + std::to_string(unix_pid()) + ",uid=" + std::to_string(unix_uid());
  return "";
}

}  // namespace ringest
