// Writes UDP datagrams as a pcap file (LINKTYPE_RAW, nanosecond timestamps):
// an IPv4 or IPv6 header and a UDP header with correct checksums in front
// of each payload, as the datagram would look on the wire. tcpdump,
// Wireshark and ringest-replay read the result.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/status.h"
#include "tools/capture/decode.h"

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace ringest::capture {

class Writer {
 public:
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  static Status open(const std::string& path, std::unique_ptr<Writer>& out);

  // src and dst must be the same IP version; payload at most 65507 bytes (IPv4) / 65527 (IPv6).
  Status write_udp(int64_t ts_ns, const IpAddress& src, uint16_t src_port, const IpAddress& dst,
                   uint16_t dst_port, std::span<const uint8_t> payload);

  // Flushes and closes; reports a write error (disk full) that buffered writes hid.
  Status close();

 private:
  Writer() = default;
  pcap_t* pcap_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  std::string path_;
  std::string frame_;
  uint16_t ip_id_ = 0;
};

}  // namespace ringest::capture
