// Splitting "host:port" and "[v6]:port" — pure string work, shared by the
// config checker, the engines and the tools: one parser, so what the checker
// passes is what the engines bind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringest {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

enum class HostPortError : uint8_t {
  kNone,
  kShape,     // not host:port or [v6]:port (no colon, empty host, stray characters)
  kBareIPv6,  // an IPv6 address without brackets
  kPort,      // the port is not a number in 0..65535
};

// Splits `s`. A host is a name or IPv4 address (letters, digits, '.', '-', '_')
// or, in brackets, an IPv6 address (hex digits, ':', '.', then any %zone).
HostPortError parse_host_port(std::string_view s, HostPort& out);

// parse_host_port(s, out) == kNone.
bool split_host_port(std::string_view s, HostPort& out);

}  // namespace ringest
