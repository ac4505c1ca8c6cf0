// Link-layer, IP and UDP decoding over hand-built frames: every link type,
// VLAN tags, and each malformation with the reason it must be skipped for.
#include "tools/capture/decode.h"

#include <doctest/doctest.h>

#include "tests/tools/frames.h"

using namespace ringest::capture;
using namespace ringest::test;

namespace {

// Decodes a whole frame to UDP; returns the skip reason (kNone on success).
Skip decode(uint32_t link, const Bytes& frame, UdpDatagram& d, uint32_t orig_len = 0) {
  IpPacket ip;
  Skip s = decode_ip(link, frame, orig_len ? orig_len : uint32_t(frame.size()), ip);
  if (s != Skip::kNone) return s;
  return decode_udp(ip, ip.payload, d);
}

Skip decode(uint32_t link, const Bytes& frame, uint32_t orig_len = 0) {
  UdpDatagram d;
  return decode(link, frame, d, orig_len);
}

const Bytes kV4 = ipv4(udp(1234, 8125, "a:1|c"));
const Bytes kV6 = ipv6(udp(1234, 8125, "b:2|c"));

}  // namespace

TEST_CASE("every supported link type yields the UDP payload and ports") {
  struct Case {
    const char* name;
    uint32_t link;
    Bytes frame;
    const char* payload;
  };
  const Bytes sll_v4 = concat({Bytes(14, 0), Bytes{0x08, 0x00}, kV4});
  Bytes sll2_v6(20, 0);
  sll2_v6[0] = 0x86, sll2_v6[1] = 0xDD;
  sll2_v6 = concat({sll2_v6, kV6});
  const Case cases[] = {
      {"ethernet v4", kLinkEthernet, concat({ethernet(0x0800), kV4}), "a:1|c"},
      {"ethernet v6", kLinkEthernet, concat({ethernet(0x86DD), kV6}), "b:2|c"},
      {"802.1Q", kLinkEthernet, concat({ethernet(0x0800, {0x8100}), kV4}), "a:1|c"},
      {"802.1ad + 802.1Q", kLinkEthernet, concat({ethernet(0x86DD, {0x88A8, 0x8100}), kV6}), "b:2|c"},
      {"raw v4", kLinkRaw, kV4, "a:1|c"},
      {"raw v6", kLinkRaw, kV6, "b:2|c"},
      {"ipv4", kLinkIpv4, kV4, "a:1|c"},
      {"ipv6", kLinkIpv6, kV6, "b:2|c"},
      {"linux sll", kLinkLinuxSll, sll_v4, "a:1|c"},
      {"linux sll2", kLinkLinuxSll2, sll2_v6, "b:2|c"},
      {"null little-endian AF_INET", kLinkNull, concat({Bytes{2, 0, 0, 0}, kV4}), "a:1|c"},
      {"null big-endian AF_INET6 (darwin 30)", kLinkNull, concat({Bytes{0, 0, 0, 30}, kV6}), "b:2|c"},
      {"loop AF_INET6 (openbsd 24)", kLinkLoop, concat({Bytes{0, 0, 0, 24}, kV6}), "b:2|c"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    UdpDatagram d;
    REQUIRE(decode(c.link, c.frame, d) == Skip::kNone);
    CHECK(text(d.payload) == c.payload);
    CHECK(d.src_port == 1234);
    CHECK(d.dst_port == 8125);
  }
}

TEST_CASE("ethernet padding after the IP packet is not part of the payload") {
  const Bytes frame = concat({ethernet(0x0800), kV4, Bytes(18, 0)});
  UdpDatagram d;
  REQUIRE(decode(kLinkEthernet, frame, d) == Skip::kNone);
  CHECK(text(d.payload) == "a:1|c");
}

TEST_CASE("IPv6 extension headers are walked to the UDP header") {
  const Bytes hop_by_hop = {17, 0, 1, 4, 0, 0, 0, 0};  // next = UDP, 8 bytes, PadN
  const Bytes frame = ipv6(udp(1, 2, "x"), 0, hop_by_hop);
  UdpDatagram d;
  REQUIRE(decode(kLinkRaw, frame, d) == Skip::kNone);
  CHECK(text(d.payload) == "x");
  const Bytes runaway = {17, 9, 0, 0, 0, 0, 0, 0};  // claims 80 bytes
  CHECK(decode(kLinkRaw, ipv6(udp(1, 2, "x"), 0, runaway)) == Skip::kIpv6HeaderLength);
}

TEST_CASE("malformed frames are skipped with their reason") {
  CHECK(decode(147, kV4) == Skip::kUnsupportedLinkType);
  CHECK(decode(kLinkEthernet, Bytes(10, 0)) == Skip::kLinkHeader);
  CHECK(decode(kLinkEthernet, concat({ethernet(0x0806), kV4})) == Skip::kNotIp);  // ARP
  CHECK(decode(kLinkNull, concat({Bytes{7, 0, 0, 0}, kV4})) == Skip::kNotIp);
  CHECK(decode(kLinkIpv4, kV6) == Skip::kWrongLinkType);
  CHECK(decode(kLinkIpv6, kV4) == Skip::kWrongLinkType);
  CHECK(decode(kLinkEthernet, concat({ethernet(0x86DD), kV4})) == Skip::kWrongLinkType);
  CHECK(decode(kLinkRaw, Bytes{0x50, 0, 0, 0}) == Skip::kNotIp);
  CHECK(decode(kLinkRaw, Bytes{}) == Skip::kNotIp);

  Bytes v4 = kV4;
  v4[0] = 0x44;  // IHL 16 bytes
  CHECK(decode(kLinkRaw, v4) == Skip::kIpv4HeaderLength);
  v4 = kV4;
  v4[0] = 0x4F;  // IHL 60 bytes, more than the packet
  CHECK(decode(kLinkRaw, v4) == Skip::kIpv4HeaderLength);
  v4 = kV4;
  put16(v4, 2, uint16_t(v4.size() + 1));
  CHECK(decode(kLinkRaw, v4) == Skip::kIpv4TotalLength);
  put16(v4, 2, 19);
  CHECK(decode(kLinkRaw, v4) == Skip::kIpv4TotalLength);
  CHECK(decode(kLinkRaw, Bytes(kV4.begin(), kV4.begin() + 12)) == Skip::kIpv4HeaderLength);

  Bytes v6 = kV6;
  put16(v6, 4, uint16_t(v6.size()));  // payload length past the end
  CHECK(decode(kLinkRaw, v6) == Skip::kIpv6PayloadLength);
  put16(v6, 4, 0);  // jumbogram
  CHECK(decode(kLinkRaw, v6) == Skip::kIpv6PayloadLength);
  CHECK(decode(kLinkRaw, Bytes(kV6.begin(), kV6.begin() + 39)) == Skip::kIpv6HeaderLength);

  CHECK(decode(kLinkRaw, ipv4(udp(1, 2, "x"), 6)) == Skip::kNotUdp);   // TCP
  CHECK(decode(kLinkRaw, ipv6(udp(1, 2, "x"), 58)) == Skip::kNotUdp);  // ICMPv6
  Bytes bad_udp = udp(1, 2, "xyz");
  put16(bad_udp, 4, 12);  // UDP length beyond the IP payload
  CHECK(decode(kLinkRaw, ipv4(bad_udp)) == Skip::kUdpLength);
  put16(bad_udp, 4, 7);
  CHECK(decode(kLinkRaw, ipv4(bad_udp)) == Skip::kUdpLength);
  CHECK(decode(kLinkRaw, ipv4(Bytes(5, 0))) == Skip::kUdpLength);
}

TEST_CASE("UDP length shorter than the IP payload trims the payload") {
  Bytes u = udp(1, 2, "abcdef");
  put16(u, 4, 8 + 3);
  const Bytes frame = ipv4(u);
  UdpDatagram d;
  REQUIRE(decode(kLinkRaw, frame, d) == Skip::kNone);
  CHECK(text(d.payload) == "abc");
}

TEST_CASE("a frame cut by the snaplen is skipped as truncated_capture") {
  const Bytes frame = concat({ethernet(0x0800), kV4});
  const uint32_t wire = uint32_t(frame.size());
  CHECK(decode(kLinkEthernet, Bytes(frame.begin(), frame.end() - 2), wire) == Skip::kTruncatedCapture);
  CHECK(decode(kLinkEthernet, Bytes(frame.begin(), frame.begin() + 20), wire) == Skip::kTruncatedCapture);
  CHECK(decode(kLinkEthernet, Bytes(frame.begin(), frame.begin() + 8), wire) == Skip::kTruncatedCapture);
  const Bytes v6 = concat({ethernet(0x86DD), kV6});
  CHECK(decode(kLinkEthernet, Bytes(v6.begin(), v6.end() - 1), uint32_t(v6.size())) ==
        Skip::kTruncatedCapture);
}

TEST_CASE("fragments are marked with id, offset and more-fragments") {
  IpPacket ip;
  REQUIRE(decode_ip(kLinkRaw, ipv4(Bytes(16, 0), 17, 77, 1480, true), 36, ip) == Skip::kNone);
  CHECK(ip.fragmented);
  CHECK(ip.frag_id == 77);
  CHECK(ip.frag_offset == 1480);
  CHECK(ip.more_fragments);
  const Bytes frag_hdr = {17, 0, 0x00, 0x11, 0, 0, 0, 9};  // offset 16 bytes, M=1, id 9
  REQUIRE(decode_ip(kLinkRaw, ipv6(Bytes(8, 0), 44, frag_hdr), 56, ip) == Skip::kNone);
  CHECK(ip.fragmented);
  CHECK(ip.frag_id == 9);
  CHECK(ip.frag_offset == 16);
  CHECK(ip.protocol == 17);
  const Bytes atomic = {17, 0, 0, 0, 0, 0, 0, 9};  // offset 0, M=0: not really fragmented
  REQUIRE(decode_ip(kLinkRaw, ipv6(udp(1, 2, "z"), 44, atomic), 57, ip) == Skip::kNone);
  CHECK_FALSE(ip.fragmented);
}
