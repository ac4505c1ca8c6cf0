// Builders for captured frames in tests: IPv4/IPv6 + UDP packets and the
// link-layer headers in front of them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringest::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}

inline Bytes udp(uint16_t sport, uint16_t dport, std::string_view payload) {
  Bytes b(8 + payload.size());
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, uint16_t(b.size()));
  std::copy(payload.begin(), payload.end(), b.begin() + 8);
  return b;
}

// IPv4 header (no options) + `l4`; fragment offset in bytes.
inline Bytes ipv4(const Bytes& l4, uint8_t proto = 17, uint16_t id = 1, uint32_t frag_offset = 0,
                  bool more = false) {
  Bytes b(20);
  b[0] = 0x45;
  put16(b, 2, uint16_t(20 + l4.size()));
  put16(b, 4, id);
  put16(b, 6, uint16_t((more ? 0x2000 : 0) | (frag_offset / 8)));
  b[8] = 64;
  b[9] = proto;
  b[12] = 10, b[15] = 1;  // 10.0.0.1
  b[16] = 10, b[19] = 2;  // 10.0.0.2
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

// IPv6 header + optional extension headers (raw bytes) + `l4`.
inline Bytes ipv6(const Bytes& l4, uint8_t next = 17, const Bytes& ext = {}) {
  Bytes b(40);
  b[0] = 0x60;
  put16(b, 4, uint16_t(ext.size() + l4.size()));
  b[6] = next;
  b[7] = 64;
  b[8] = 0x20, b[9] = 0x01, b[23] = 1;
  b[24] = 0x20, b[25] = 0x01, b[39] = 2;
  b.insert(b.end(), ext.begin(), ext.end());
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes ethernet(uint16_t type, std::initializer_list<uint16_t> vlan_tpids = {}) {
  Bytes b(12, 0x11);
  for (uint16_t tpid : vlan_tpids) {
    b.push_back(uint8_t(tpid >> 8)), b.push_back(uint8_t(tpid));
    b.push_back(0), b.push_back(42);  // TCI: VLAN 42
  }
  b.push_back(uint8_t(type >> 8)), b.push_back(uint8_t(type));
  return b;
}

inline std::string text(std::span<const uint8_t> s) {
  return std::string(s.begin(), s.end());
}

}  // namespace ringest::test
