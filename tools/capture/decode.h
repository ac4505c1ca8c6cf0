// Decoding one captured frame down to an IP packet and a UDP datagram.
//
// Pure functions over untrusted bytes: every length field is checked against
// the bytes actually captured before it is used, and a frame that cannot be
// decoded yields a Skip reason instead of a packet. Views returned point into
// the caller's frame and live as long as it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tools/capture/skip.h"

namespace ringest::capture {

// Link types as numbered in pcap/pcapng files (tcpdump.org/linktypes.html).
enum LinkType : uint32_t {
  kLinkNull = 0,         // BSD loopback: 4-byte address family in the capturing host's byte order
  kLinkEthernet = 1,     // Ethernet II, with 802.1Q / 802.1ad tags
  kLinkRaw = 101,        // raw IPv4 or IPv6, version from the first nibble
  kLinkLoop = 108,       // OpenBSD loopback: 4-byte address family, network byte order
  kLinkLinuxSll = 113,   // Linux cooked capture v1
  kLinkIpv4 = 228,       // raw IPv4 only
  kLinkIpv6 = 229,       // raw IPv6 only
  kLinkLinuxSll2 = 276,  // Linux cooked capture v2
};

struct IpAddress {
  uint8_t version = 0;  // 4 or 6
  uint8_t bytes[16] = {};
  bool operator==(const IpAddress&) const = default;
};

// An IP packet with its L4 bytes; `fragmented` when it is one piece of a
// larger datagram (IPv4 MF/offset, IPv6 fragment header).
struct IpPacket {
  IpAddress src, dst;
  uint8_t protocol = 0;
  std::span<const uint8_t> payload;
  bool fragmented = false;
  uint32_t frag_id = 0;
  uint32_t frag_offset = 0;  // bytes
  bool more_fragments = false;
};

struct UdpDatagram {
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;
  std::span<const uint8_t> payload;
};

// Link layer and IP header. `orig_len` is the frame's length on the wire;
// when it exceeds frame.size() the capture was cut short (snaplen), and
// lengths running past the captured bytes are reported as kTruncatedCapture.
Skip decode_ip(uint32_t link_type, std::span<const uint8_t> frame, uint32_t orig_len, IpPacket& out);

// The UDP header over a whole (reassembled if need be) IP payload.
Skip decode_udp(const IpPacket& ip, std::span<const uint8_t> l4, UdpDatagram& out);

}  // namespace ringest::capture
