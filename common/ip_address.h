// Numeric IP address text → bytes (inet_pton: dotted-quad IPv4 and every
// RFC 4291 spelling of IPv6; no zone: an allowlist matches addresses, not
// interfaces).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/source_address.h"

namespace ringest {

// "192.0.2.1" → kIPv4, "2001:db8::1" / "::ffff:192.0.2.1" → kIPv6. False if
// `text` is neither.
bool parse_ip(std::string_view text, SourceAddress& out);

// An address block: "10.0.0.0/8", "::1/128", or a bare address (all bits).
struct Cidr {
  SourceAddress base;  // port unused
  uint8_t prefix = 0;
  bool contains(const SourceAddress& a) const;
};
bool parse_cidr(std::string_view text, Cidr& out);

}  // namespace ringest
