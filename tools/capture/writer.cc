#include "tools/capture/writer.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstring>

namespace ringest::capture {
namespace {

void put16(std::string& s, size_t at, uint16_t v) {
  s[at] = char(v >> 8);
  s[at + 1] = char(v & 0xFF);
}

// RFC 1071 one's-complement sum, folded later.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1) acc += uint32_t(p[n - 1] << 8);
  return acc;
}

uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return uint16_t(~acc);
}

}  // namespace

Writer::~Writer() {
  close();
}

Status Writer::open(const std::string& path, std::unique_ptr<Writer>& out) {
  out.reset(new Writer());
  out->path_ = path;
  out->pcap_ = pcap_open_dead_with_tstamp_precision(DLT_RAW, 65535, PCAP_TSTAMP_PRECISION_NANO);
  if (!out->pcap_) return Status::invalid(path + ": pcap_open_dead failed");
  out->dumper_ = pcap_dump_open(out->pcap_, path.c_str());
  if (!out->dumper_) return Status::invalid(path + ": " + pcap_geterr(out->pcap_));
  return Status();
}

Status Writer::write_udp(int64_t ts_ns, const IpAddress& src, uint16_t src_port, const IpAddress& dst,
                         uint16_t dst_port, std::span<const uint8_t> payload) {
  const bool v6 = src.version == 6;
  if (src.version != dst.version || (src.version != 4 && !v6))
    return Status::invalid("address family mismatch");
  const size_t iph = v6 ? 40 : 20;
  const size_t udp_len = 8 + payload.size();
  if (udp_len > 65535 - (v6 ? 0 : iph)) return Status::invalid("payload too large for one UDP datagram");
  frame_.assign(iph + udp_len, '\0');
  auto* f = reinterpret_cast<uint8_t*>(frame_.data());
  uint32_t pseudo = 0;
  if (v6) {
    f[0] = 0x60;
    put16(frame_, 4, uint16_t(udp_len));
    f[6] = 17;
    f[7] = 64;
    std::memcpy(f + 8, src.bytes, 16);
    std::memcpy(f + 24, dst.bytes, 16);
    pseudo = sum16(f + 8, 32, uint32_t(udp_len) + 17);
  } else {
    f[0] = 0x45;
    put16(frame_, 2, uint16_t(iph + udp_len));
    put16(frame_, 4, ip_id_++);
    f[8] = 64;
    f[9] = 17;
    std::memcpy(f + 12, src.bytes, 4);
    std::memcpy(f + 16, dst.bytes, 4);
    put16(frame_, 10, fold(sum16(f, 20)));
    pseudo = sum16(f + 12, 8, uint32_t(udp_len) + 17);
  }
  put16(frame_, iph, src_port);
  put16(frame_, iph + 2, dst_port);
  put16(frame_, iph + 4, uint16_t(udp_len));
  std::memcpy(f + iph + 8, payload.data(), payload.size());
  uint16_t ck = fold(sum16(f + iph, udp_len, pseudo));
  put16(frame_, iph + 6, ck == 0 ? 0xFFFF : ck);  // 0 means "no checksum" in UDP
  pcap_pkthdr h{};
  h.ts.tv_sec = ts_ns / 1'000'000'000;
  h.ts.tv_usec = ts_ns % 1'000'000'000;  // nanoseconds in a nanosecond-precision file
  h.caplen = h.len = uint32_t(frame_.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, f);
  return Status();
}

Status Writer::close() {
  Status s;
  if (dumper_) {
    if (pcap_dump_flush(dumper_) != 0) s = Status::from_errno(errno, "write " + path_);
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
  }
  if (pcap_) {
    pcap_close(pcap_);
    pcap_ = nullptr;
  }
  return s;
}

}  // namespace ringest::capture
