// The replay loop end to end over loopback, driven by a fake clock: timing
// follows the capture, passes continue the schedule, ports are filtered and
// mapped, fragments are reassembled, and every frame is accounted for.
#include <doctest/doctest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <filesystem>

#include "tests/tools/fake_clock.h"
#include "tests/tools/frames.h"
#include "tests/tools/udp_receiver.h"
#include "tools/capture/writer.h"
#include "tools/replay/replay.h"

using namespace ringest;
using namespace ringest::test;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;

struct Sent {
  int64_t ts;
  uint16_t port;
  std::string payload;
};

fs::path write_capture(const char* name, const std::vector<Sent>& datagrams) {
  const fs::path path =
      fs::temp_directory_path() / (std::string("ringest-replay-") + std::to_string(getpid()) + name);
  std::unique_ptr<capture::Writer> w;
  REQUIRE(capture::Writer::open(path.string(), w).ok());
  capture::IpAddress a;
  a.version = 4;
  a.bytes[0] = 127, a.bytes[3] = 1;
  for (const Sent& s : datagrams)
    REQUIRE(w->write_udp(s.ts, a, 40000, a, s.port,
                         {reinterpret_cast<const uint8_t*>(s.payload.data()), s.payload.size()})
                .ok());
  REQUIRE(w->close().ok());
  return path;
}

// Raw IP frames (LINKTYPE_RAW) for cases the writer never produces.
fs::path write_raw(const char* name, const std::vector<Bytes>& frames) {
  const fs::path path =
      fs::temp_directory_path() / (std::string("ringest-replay-") + std::to_string(getpid()) + name);
  pcap_t* p = pcap_open_dead(DLT_RAW, 65535);
  pcap_dumper_t* d = pcap_dump_open(p, path.c_str());
  REQUIRE(d);
  for (const Bytes& f : frames) {
    pcap_pkthdr h{};
    h.caplen = h.len = uint32_t(f.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
  return path;
}

replay::ReplayReport run(replay::ReplayOptions& o, replay::Clock& clock) {
  replay::ReplayReport r;
  std::string read_error;
  REQUIRE(replay::run_replay(o, clock, r, read_error).ok());
  CHECK(read_error.empty());
  CHECK(r.frames == r.datagrams + r.send_errors + r.skipped_total() + r.fragments_merged);
  return r;
}

}  // namespace

TEST_CASE("original timing sleeps to the capture's offsets, and loops continue the schedule") {
  const fs::path path = write_capture(
      "timing.pcap", {{kT0, 8125, "a:1|c"}, {kT0 + 1 * kMs, 8125, "b:1|c"}, {kT0 + 5 * kMs, 8125, "c:1|c"}});
  UdpReceiver rx;
  FakeClock clock;
  clock.set_oversleep(20'000);  // every sleep wakes 20 µs late
  replay::ReplayOptions o;
  o.file = path.string();
  o.target = rx.target();
  o.loops = 2;
  const int64_t anchor = clock.peek();
  const replay::ReplayReport r = run(o, clock);
  CHECK(r.passes == 2);
  CHECK(r.datagrams == 6);
  CHECK(rx.drain() == std::vector<std::string>{"a:1|c", "b:1|c", "c:1|c", "a:1|c", "b:1|c", "c:1|c"});
  // Pass 2 starts where pass 1's last datagram was due; no sleep for datagrams already due.
  CHECK(clock.sleeps ==
        std::vector<int64_t>{anchor + 1 * kMs, anchor + 5 * kMs, anchor + 6 * kMs, anchor + 10 * kMs});
  CHECK(r.lateness_max_ns == 20'000);
  CHECK(r.lateness_p99_ns == 20'000);
  CHECK(r.lateness_p50_ns >= 19'000);  // the 2nd pass's first datagram is due right after an oversleep
  fs::remove(path);
}

TEST_CASE("speed and pps change the schedule, flat out never sleeps") {
  const fs::path path =
      write_capture("speed.pcap", {{kT0, 1, "x"}, {kT0 + 10 * kMs, 1, "y"}, {kT0 + 30 * kMs, 1, "z"}});
  UdpReceiver rx;
  replay::ReplayOptions o;
  o.file = path.string();
  o.target = rx.target();
  {
    FakeClock clock;
    const int64_t anchor = clock.peek();
    o.schedule = {replay::Timing::kOriginal, 10.0, 0};
    run(o, clock);
    CHECK(clock.sleeps == std::vector<int64_t>{anchor + 1 * kMs, anchor + 3 * kMs});
  }
  {
    FakeClock clock;
    const int64_t anchor = clock.peek();
    o.schedule = {replay::Timing::kPps, 1.0, 100};
    run(o, clock);
    CHECK(clock.sleeps == std::vector<int64_t>{anchor + 10 * kMs, anchor + 20 * kMs});
  }
  {
    FakeClock clock;
    o.schedule = {replay::Timing::kFlatOut, 1.0, 0};
    const replay::ReplayReport r = run(o, clock);
    CHECK(clock.sleeps.empty());
    CHECK(r.datagrams == 3);
  }
  CHECK(rx.drain().size() == 9);
  fs::remove(path);
}

TEST_CASE("port filter and port map") {
  const fs::path path =
      write_capture("ports.pcap", {{kT0, 8125, "statsd"}, {kT0, 514, "syslog"}, {kT0, 2003, "graphite"}});
  UdpReceiver statsd, syslog;
  FakeClock clock;
  replay::ReplayOptions o;
  o.file = path.string();
  o.schedule.timing = replay::Timing::kFlatOut;
  o.port_map[514] = syslog.target();
  o.port_map[8125] = statsd.target();
  o.ports = {514, 8125};
  replay::ReplayReport r = run(o, clock);
  CHECK(r.datagrams == 2);
  CHECK(r.skipped[size_t(capture::Skip::kPortFiltered)] == 1);
  CHECK(statsd.drain() == std::vector<std::string>{"statsd"});
  CHECK(syslog.drain() == std::vector<std::string>{"syslog"});

  o.ports.clear();
  o.port_map.erase(8125);
  r = run(o, clock);
  CHECK(r.datagrams == 1);
  CHECK(r.skipped[size_t(capture::Skip::kNoTarget)] == 2);
  CHECK(syslog.drain() == std::vector<std::string>{"syslog"});
  fs::remove(path);
}

TEST_CASE("fragmented datagrams are reassembled before sending; broken ones are counted") {
  const Bytes whole = udp(40000, 8125, std::string(100, 'f'));  // 108 bytes
  const Bytes whole6 = udp(40000, 8125, std::string(60, '6'));  // 68 bytes
  auto piece = [&](uint16_t id, uint32_t b, uint32_t e) {
    return ipv4(Bytes(whole.begin() + b, whole.begin() + e), 17, id, b, e < whole.size());
  };
  const fs::path path =
      write_raw("frags.pcap", {
                                  piece(1, 48, 108), piece(1, 0, 48),  // out of order: completes
                                  piece(2, 0, 48),                     // never completes
                                  ipv4(udp(1, 8125, "plain")),         // an ordinary datagram
                                  ipv4(Bytes(30, 0), 6, 3, 0, true),   // a TCP fragment
                                  ipv6(Bytes(whole6.begin(), whole6.begin() + 48), 44,
                                       {17, 0, 0x00, 0x01, 0, 0, 0, 7}),  // IPv6: offset 0, more
                                  ipv6(Bytes(whole6.begin() + 48, whole6.end()), 44,
                                       {17, 0, 0x00, 0x30, 0, 0, 0, 7}),  // offset 48, last
                              });
  UdpReceiver rx;
  FakeClock clock;
  replay::ReplayOptions o;
  o.file = path.string();
  o.schedule.timing = replay::Timing::kFlatOut;
  o.target = rx.target();
  const replay::ReplayReport r = run(o, clock);
  CHECK(r.frames == 7);
  CHECK(r.datagrams == 3);
  CHECK(r.fragments_merged == 2);
  CHECK(r.skipped[size_t(capture::Skip::kFragmentIncomplete)] == 1);
  CHECK(r.skipped[size_t(capture::Skip::kNotUdp)] == 1);
  CHECK(rx.drain() == std::vector<std::string>{std::string(100, 'f'), "plain", std::string(60, '6')});
  fs::remove(path);
}
