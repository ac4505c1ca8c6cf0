// SourceAddress: where a datagram came from, in a fixed-size value type that can
// be stored in a record without allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace ringest {

struct SourceAddress {
  enum Family : uint8_t { kNone = 0, kIPv4 = 4, kIPv6 = 6 };
  Family family = kNone;
  uint16_t port = 0;      // host byte order
  uint8_t addr[16] = {};  // IPv4 uses the first 4 bytes, network byte order

  // "127.0.0.1:8125", "[::1]:8125", or "" when family is kNone.
  std::string to_string() const;
  bool operator==(const SourceAddress& o) const {
    return family == o.family && port == o.port && std::memcmp(addr, o.addr, sizeof addr) == 0;
  }
};

}  // namespace ringest
