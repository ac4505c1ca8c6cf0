// SourceAddress: where a datagram came from, in a fixed-size value type that can
// be stored in a record without allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace ringest {

struct SourceAddress {
  // kUnix: a Unix-socket sender's credentials (SO_PASSCRED), not an address.
  enum Family : uint8_t { kNone = 0, kUnix = 1, kIPv4 = 4, kIPv6 = 6 };
  Family family = kNone;
  uint16_t port = 0;      // host byte order; 0 for kUnix
  uint8_t addr[16] = {};  // IPv4 uses the first 4 bytes, network byte order;
                          // kUnix the first 8: pid, uid, each u32 little-endian

  static SourceAddress unix_peer(uint32_t pid, uint32_t uid);
  uint32_t unix_pid() const;
  uint32_t unix_uid() const;

  // "127.0.0.1:8125", "[::1]:8125", "pid=1234,uid=1000" (kUnix), or "" when
  // family is kNone.
  std::string to_string() const;
  bool operator==(const SourceAddress& o) const {
    return family == o.family && port == o.port && std::memcmp(addr, o.addr, sizeof addr) == 0;
  }
};

}  // namespace ringest
