// Why a captured frame was not replayed. Every frame read from a capture is
// either replayed (alone, or as part of a reassembled datagram) or counted
// under exactly one of these reasons.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ringest::capture {

enum class Skip : uint8_t {
  kNone = 0,
  kUnsupportedLinkType,  // a link type the decoder does not know
  kTruncatedCapture,     // a header or length runs past the captured bytes (snaplen)
  kLinkHeader,           // frame shorter than its link-layer header
  kNotIp,                // link layer carries something other than IPv4/IPv6
  kWrongLinkType,        // IP version contradicts the link type (IPv6 in LINKTYPE_IPV4)
  kIpv4HeaderLength,     // IHL < 20 bytes or beyond the packet
  kIpv4TotalLength,      // total length < header or beyond the captured packet
  kIpv6HeaderLength,     // fewer than 40 bytes, or an extension header beyond the packet
  kIpv6PayloadLength,    // payload length beyond the packet (or a jumbogram)
  kNotUdp,               // IP carries another protocol
  kUdpLength,            // UDP header cut, or UDP length < 8 or beyond the IP payload
  kFragmentInvalid,      // fragment beyond 65535 bytes or misaligned
  kFragmentOverlap,      // fragments of one datagram overlap: the datagram is dropped
  kFragmentIncomplete,   // a fragment whose datagram never completed (or timed out)
  kPortFiltered,         // destination port not selected by --port
  kNoTarget,             // destination port has no --map and there is no --target
  kCount
};

inline constexpr std::array<std::string_view, size_t(Skip::kCount)> kSkipNames = {"none",
                                                                                  "unsupported_link_type",
                                                                                  "truncated_capture",
                                                                                  "link_header",
                                                                                  "not_ip",
                                                                                  "wrong_link_type",
                                                                                  "ipv4_header_length",
                                                                                  "ipv4_total_length",
                                                                                  "ipv6_header_length",
                                                                                  "ipv6_payload_length",
                                                                                  "not_udp",
                                                                                  "udp_length",
                                                                                  "fragment_invalid",
                                                                                  "fragment_overlap",
                                                                                  "fragment_incomplete",
                                                                                  "port_filtered",
                                                                                  "no_target"};

using SkipCounts = std::array<uint64_t, size_t(Skip::kCount)>;

}  // namespace ringest::capture
