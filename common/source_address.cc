#include "common/source_address.h"

#include "common/socket_api.h"

namespace ringest {

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
  return "";
}

}  // namespace ringest
