#include "tools/capture/decode.h"

#include <cstring>

namespace ringest::capture {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr int kMaxVlanTags = 2;
constexpr uint8_t kProtoUdp = 17;

uint16_t be16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint32_t le32(const uint8_t* p) {
  return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}

// A length that runs past the captured bytes is the snaplen's fault when the
// frame was cut short, and the header's fault otherwise.
Skip past_end(bool cut, Skip header_reason) {
  return cut ? Skip::kTruncatedCapture : header_reason;
}

// IP version expected from the link layer: 4, 6, or 0 for "read the nibble".
Skip from_ethertype(uint16_t type, int& version) {
  if (type == kEtherIpv4)
    version = 4;
  else if (type == kEtherIpv6)
    version = 6;
  else
    return Skip::kNotIp;
  return Skip::kNone;
}

// BSD address family values for IPv6 differ per OS that captured the file.
Skip from_family(uint32_t af, int& version) {
  if (af == 2)
    version = 4;
  else if (af == 10 || af == 24 || af == 28 || af == 30)
    version = 6;
  else
    return Skip::kNotIp;
  return Skip::kNone;
}

Skip strip_link(uint32_t link, std::span<const uint8_t>& f, bool cut, int& version) {
  auto need = [&](size_t n) { return f.size() < n ? past_end(cut, Skip::kLinkHeader) : Skip::kNone; };
  Skip s = Skip::kNone;
  switch (link) {
    case kLinkEthernet: {
      if ((s = need(14)) != Skip::kNone) return s;
      size_t off = 12;
      uint16_t type = be16(&f[off]);
      for (int tags = 0; (type == kEtherVlan || type == kEtherQinQ) && tags < kMaxVlanTags; ++tags) {
        off += 4;
        if ((s = need(off + 2)) != Skip::kNone) return s;
        type = be16(&f[off]);
      }
      f = f.subspan(off + 2);
      return from_ethertype(type, version);
    }
    case kLinkLinuxSll:
      if ((s = need(16)) != Skip::kNone) return s;
      s = from_ethertype(be16(&f[14]), version);
      f = f.subspan(16);
      return s;
    case kLinkLinuxSll2:
      if ((s = need(20)) != Skip::kNone) return s;
      s = from_ethertype(be16(&f[0]), version);
      f = f.subspan(20);
      return s;
    case kLinkNull: {
      if ((s = need(4)) != Skip::kNone) return s;
      uint32_t le = le32(&f[0]), be = be32(&f[0]);
      // The capturing host's byte order is unknown: the family is a small number either way.
      s = from_family(le < 0x10000 ? le : be, version);
      f = f.subspan(4);
      return s;
    }
    case kLinkLoop:
      if ((s = need(4)) != Skip::kNone) return s;
      s = from_family(be32(&f[0]), version);
      f = f.subspan(4);
      return s;
    case kLinkRaw: version = 0; return Skip::kNone;
    case kLinkIpv4: version = 4; return Skip::kNone;
    case kLinkIpv6: version = 6; return Skip::kNone;
    default: return Skip::kUnsupportedLinkType;
  }
}

Skip decode_ipv4(std::span<const uint8_t> p, bool cut, IpPacket& out) {
  if (p.size() < 20) return past_end(cut, Skip::kIpv4HeaderLength);
  const size_t ihl = size_t(p[0] & 0x0F) * 4;
  if (ihl < 20) return Skip::kIpv4HeaderLength;
  if (ihl > p.size()) return past_end(cut, Skip::kIpv4HeaderLength);
  const size_t total = be16(&p[2]);
  if (total < ihl) return Skip::kIpv4TotalLength;
  if (total > p.size()) return past_end(cut, Skip::kIpv4TotalLength);
  // Bytes after `total` are link-layer padding (Ethernet minimum frame size).
  out.src.version = out.dst.version = 4;
  std::memcpy(out.src.bytes, &p[12], 4);
  std::memcpy(out.dst.bytes, &p[16], 4);
  out.protocol = p[9];
  out.payload = p.subspan(ihl, total - ihl);
  const uint16_t frag = be16(&p[6]);
  out.more_fragments = frag & 0x2000;
  out.frag_offset = uint32_t(frag & 0x1FFF) * 8;
  out.fragmented = out.more_fragments || out.frag_offset != 0;
  out.frag_id = be16(&p[4]);
  return Skip::kNone;
}

bool is_ipv6_extension(uint8_t h) {
  return h == 0 || h == 43 || h == 60 || h == 44;
}

Skip decode_ipv6(std::span<const uint8_t> p, bool cut, IpPacket& out) {
  if (p.size() < 40) return past_end(cut, Skip::kIpv6HeaderLength);
  const size_t plen = be16(&p[4]);
  if (plen == 0) return Skip::kIpv6PayloadLength;  // jumbogram (RFC 2675): not UDP we can send
  if (40 + plen > p.size()) return past_end(cut, Skip::kIpv6PayloadLength);
  out.src.version = out.dst.version = 6;
  std::memcpy(out.src.bytes, &p[8], 16);
  std::memcpy(out.dst.bytes, &p[24], 16);
  std::span<const uint8_t> rest = p.subspan(40, plen);
  uint8_t next = p[6];
  while (is_ipv6_extension(next)) {
    if (next == 44) {  // fragment header: 8 bytes
      if (rest.size() < 8) return Skip::kIpv6HeaderLength;
      const uint16_t off = be16(&rest[2]);
      out.frag_offset = uint32_t(off & 0xFFF8);
      out.more_fragments = off & 1;
      out.frag_id = be32(&rest[4]);
      out.fragmented = out.more_fragments || out.frag_offset != 0;  // else an atomic fragment
      next = rest[0];
      rest = rest.subspan(8);
      if (out.frag_offset != 0) break;  // the rest is the middle of the datagram, not headers
      continue;
    }
    if (rest.size() < 8) return Skip::kIpv6HeaderLength;
    const size_t len = (size_t(rest[1]) + 1) * 8;
    if (len > rest.size()) return Skip::kIpv6HeaderLength;
    next = rest[0];
    rest = rest.subspan(len);
  }
  out.protocol = next;
  out.payload = rest;
  return Skip::kNone;
}

}  // namespace

Skip decode_ip(uint32_t link_type, std::span<const uint8_t> frame, uint32_t orig_len, IpPacket& out) {
  out = IpPacket{};
  const bool cut = orig_len > frame.size();
  int version = 0;
  Skip s = strip_link(link_type, frame, cut, version);
  if (s != Skip::kNone) return s;
  if (frame.empty()) return past_end(cut, Skip::kNotIp);
  const int actual = frame[0] >> 4;
  if (actual != 4 && actual != 6) return version ? Skip::kWrongLinkType : Skip::kNotIp;
  if (version && actual != version) return Skip::kWrongLinkType;
  return actual == 4 ? decode_ipv4(frame, cut, out) : decode_ipv6(frame, cut, out);
}

Skip decode_udp(const IpPacket& ip, std::span<const uint8_t> l4, UdpDatagram& out) {
  out = UdpDatagram{};
  if (ip.protocol != kProtoUdp) return Skip::kNotUdp;
  if (l4.size() < 8) return Skip::kUdpLength;
  const size_t len = be16(&l4[4]);
  if (len < 8 || len > l4.size()) return Skip::kUdpLength;
  out.src = ip.src;
  out.dst = ip.dst;
  out.src_port = be16(&l4[0]);
  out.dst_port = be16(&l4[2]);
  out.payload = l4.subspan(8, len - 8);
  return Skip::kNone;
}

}  // namespace ringest::capture
