// Capture files: the writer's output read back through the reader and
// decoder, a hand-made pcapng with packets, and a file cut mid-record.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/tools/frames.h"
#include "tools/capture/decode.h"
#include "tools/capture/reader.h"
#include "tools/capture/writer.h"

using namespace ringest::capture;
using namespace ringest::test;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const char* name) {
  return fs::temp_directory_path() /
         (std::string("ringest-capture-") + std::to_string(getpid()) + "-" + name);
}

IpAddress v4(uint8_t last) {
  IpAddress a;
  a.version = 4;
  a.bytes[0] = 127, a.bytes[3] = last;
  return a;
}

IpAddress v6(uint8_t last) {
  IpAddress a;
  a.version = 6;
  a.bytes[15] = last;
  return a;
}

// One's-complement sum over the IPv4 pseudo header + UDP: 0xFFFF when the checksum is right.
uint16_t udp4_check(std::span<const uint8_t> ip) {
  uint32_t acc = 17 + uint32_t(ip.size() - 20);
  auto add = [&](std::span<const uint8_t> s) {
    for (size_t i = 0; i + 1 < s.size(); i += 2) acc += uint32_t(s[i] << 8 | s[i + 1]);
    if (s.size() & 1) acc += uint32_t(s.back() << 8);
  };
  add(ip.subspan(12, 8));
  add(ip.subspan(20));
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return uint16_t(acc);
}

}  // namespace

TEST_CASE("written captures read back with nanosecond timestamps, addresses and valid checksums") {
  const fs::path path = temp_file("rt.pcap");
  {
    std::unique_ptr<Writer> w;
    REQUIRE(Writer::open(path.string(), w).ok());
    const std::string a = "cpu.load:1|g", b(1400, 'x');
    REQUIRE(w->write_udp(1'700'000'000'123'456'789, v4(1), 40000, v4(2), 8125,
                         {reinterpret_cast<const uint8_t*>(a.data()), a.size()})
                .ok());
    REQUIRE(w->write_udp(1'700'000'000'123'457'000, v6(1), 40001, v6(2), 8126,
                         {reinterpret_cast<const uint8_t*>(b.data()), b.size()})
                .ok());
    CHECK_FALSE(w->write_udp(0, v4(1), 1, v6(2), 2, {}).ok());
    REQUIRE(w->close().ok());
  }
  std::unique_ptr<Reader> r;
  REQUIRE(Reader::open(path.string(), r).ok());
  CHECK(r->link_type() == kLinkRaw);
  Frame f;
  REQUIRE(r->next(f));
  CHECK(f.ts_ns == 1'700'000'000'123'456'789);
  CHECK(udp4_check(f.bytes) == 0xFFFF);
  IpPacket ip;
  UdpDatagram d;
  REQUIRE(decode_ip(r->link_type(), f.bytes, f.orig_len, ip) == Skip::kNone);
  REQUIRE(decode_udp(ip, ip.payload, d) == Skip::kNone);
  CHECK(text(d.payload) == "cpu.load:1|g");
  CHECK(d.src == v4(1));
  CHECK(d.dst == v4(2));
  CHECK(d.src_port == 40000);
  CHECK(d.dst_port == 8125);
  REQUIRE(r->next(f));
  REQUIRE(decode_ip(r->link_type(), f.bytes, f.orig_len, ip) == Skip::kNone);
  REQUIRE(decode_udp(ip, ip.payload, d) == Skip::kNone);
  CHECK(d.payload.size() == 1400);
  CHECK(d.dst == v6(2));
  CHECK(d.dst_port == 8126);
  CHECK_FALSE(r->next(f));
  CHECK(r->error().empty());

  // Cut the file inside the second record: the first still reads, then an error.
  const auto size = fs::file_size(path);
  fs::resize_file(path, size - 100);
  REQUIRE(Reader::open(path.string(), r).ok());
  CHECK(r->next(f));
  CHECK_FALSE(r->next(f));
  CHECK_FALSE(r->error().empty());
  fs::remove(path);
}

TEST_CASE("pcapng with an enhanced packet block and nanosecond resolution") {
  const Bytes pkt = ipv4(udp(5000, 514, "<13>Sep 12 19:16:12 host app: hi"));
  auto le32 = [](Bytes& b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
  };
  Bytes file;
  // Section header block.
  le32(file, 0x0A0D0D0A), le32(file, 28), le32(file, 0x1A2B3C4D);
  file.insert(file.end(), {1, 0, 0, 0}), le32(file, 0xFFFFFFFF), le32(file, 0xFFFFFFFF), le32(file, 28);
  // Interface description block: LINKTYPE_RAW, if_tsresol = 9 (ns).
  le32(file, 1), le32(file, 32), file.insert(file.end(), {101, 0, 0, 0}), le32(file, 0);
  file.insert(file.end(), {9, 0, 1, 0, 9, 0, 0, 0}), le32(file, 0), le32(file, 32);
  // Enhanced packet block.
  const uint64_t ts = 1'600'000'000'000'000'123ull;
  const uint32_t padded = uint32_t((pkt.size() + 3) & ~size_t(3));
  const uint32_t len = 32 + padded;
  le32(file, 6), le32(file, len), le32(file, 0), le32(file, uint32_t(ts >> 32)), le32(file, uint32_t(ts));
  le32(file, uint32_t(pkt.size())), le32(file, uint32_t(pkt.size()));
  file.insert(file.end(), pkt.begin(), pkt.end());
  file.resize(file.size() + (padded - pkt.size()));
  le32(file, len);
  const fs::path path = temp_file("one.pcapng");
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));

  std::unique_ptr<Reader> r;
  REQUIRE(Reader::open(path.string(), r).ok());
  CHECK(r->link_type() == kLinkRaw);
  Frame f;
  REQUIRE(r->next(f));
  CHECK(f.ts_ns == int64_t(ts));
  IpPacket ip;
  UdpDatagram d;
  REQUIRE(decode_ip(r->link_type(), f.bytes, f.orig_len, ip) == Skip::kNone);
  REQUIRE(decode_udp(ip, ip.payload, d) == Skip::kNone);
  CHECK(text(d.payload) == "<13>Sep 12 19:16:12 host app: hi");
  CHECK_FALSE(r->next(f));
  fs::remove(path);
}

TEST_CASE("a file that is not a capture is refused at open") {
  const fs::path path = temp_file("junk.pcap");
  std::ofstream(path) << "this is not a capture file at all";
  std::unique_ptr<Reader> r;
  ringest::Status s = Reader::open(path.string(), r);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find(path.string()) != std::string::npos);
  CHECK_FALSE(Reader::open((path.string() + ".missing"), r).ok());
  fs::remove(path);
}
