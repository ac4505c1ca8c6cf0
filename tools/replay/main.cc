// ringest-replay: replays the UDP datagrams of a pcap/pcapng capture to a
// target, with the capture's own timing (or scaled, or at a fixed rate, or
// flat out), and optionally reconciles the result with ringestd's /metrics.
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "common/socket_address.h"
#include "tools/check/metrics_check.h"
#include "tools/replay/replay.h"

namespace {

using ringest::replay::ReplayOptions;
using ringest::replay::ReplayReport;
using ringest::replay::Target;

constexpr int kExitUsage = 64, kExitNoInput = 66, kExitOs = 71;

constexpr const char* kFooter = R"(
Every frame is either sent or skipped with a reason (the report counts both):
  unsupported_link_type, truncated_capture (snaplen cut a header or length),
  link_header, not_ip, wrong_link_type (IPv6 in a LINKTYPE_IPV4 file, ...),
  ipv4_header_length, ipv4_total_length, ipv6_header_length, ipv6_payload_length,
  not_udp, udp_length, fragment_invalid, fragment_overlap, fragment_incomplete,
  port_filtered (--port), no_target (neither --map nor --target applies).
Link types: Ethernet (with 802.1Q/802.1ad), raw IP, LINKTYPE_IPV4/IPV6, Linux
cooked v1 and v2, BSD NULL and OpenBSD LOOP. IPv4 and IPv6 fragments are
reassembled. Datagrams leave from this host's own sockets (source addresses
are not spoofed).

Output: a progress line on stderr every --progress seconds, the report on
stderr, and one JSON line on stdout with the same figures.
Exit codes: 0 done; 3 --check-metrics found unaccounted datagrams; 4 /metrics
could not be read; 64 usage; 66 capture unreadable or damaged; 71 socket error.)";

bool parse_target(const std::string& s, Target& t) {
  return ringest::resolve(s, t.addr, t.len).ok();
}

void print_report(const ReplayOptions& o, const ReplayReport& r, bool timed) {
  std::fprintf(stderr, "ringest-replay: %s, %llu pass(es)\n", o.file.c_str(),
               static_cast<unsigned long long>(r.passes));
  auto row = [](const char* k, uint64_t v) {
    std::fprintf(stderr, "  %-28s %12llu\n", k, static_cast<unsigned long long>(v));
  };
  row("frames read", r.frames);
  row("datagrams sent", r.datagrams);
  row("payload bytes sent", r.bytes);
  if (r.fragments_merged) row("fragments reassembled", r.fragments_merged);
  if (r.send_errors) row("refused by the kernel", r.send_errors);
  row("skipped", r.skipped_total());
  for (size_t i = 1; i < r.skipped.size(); ++i)
    if (r.skipped[i])
      std::fprintf(stderr, "    %-26s %12llu\n", std::string(ringest::capture::kSkipNames[i]).c_str(),
                   static_cast<unsigned long long>(r.skipped[i]));
  std::fprintf(stderr, "  %-28s %12.0f datagrams/s over %.3f s\n", "achieved rate",
               r.seconds > 0 ? double(r.datagrams) / r.seconds : 0.0, r.seconds);
  if (timed)
    std::fprintf(stderr, "  %-28s p50 %.1f µs, p99 %.1f µs, max %.1f µs\n", "timing error (late)",
                 double(r.lateness_p50_ns) / 1e3, double(r.lateness_p99_ns) / 1e3,
                 double(r.lateness_max_ns) / 1e3);
}

void print_json(const ReplayReport& r) {
  std::printf("{\"frames\":%llu,\"sent\":%llu,\"bytes\":%llu,\"skipped\":%llu,\"skipped_by_reason\":{",
              static_cast<unsigned long long>(r.frames), static_cast<unsigned long long>(r.datagrams),
              static_cast<unsigned long long>(r.bytes), static_cast<unsigned long long>(r.skipped_total()));
  bool first = true;
  for (size_t i = 1; i < r.skipped.size(); ++i) {
    if (!r.skipped[i]) continue;
    std::printf("%s\"%s\":%llu", first ? "" : ",", std::string(ringest::capture::kSkipNames[i]).c_str(),
                static_cast<unsigned long long>(r.skipped[i]));
    first = false;
  }
  std::printf(
      "},\"fragments_merged\":%llu,\"send_errors\":%llu,\"retries\":%llu,\"seconds\":%.3f,\"rate\":%.0f,"
      "\"lateness_p50_us\":%.1f,\"lateness_p99_us\":%.1f,\"lateness_max_us\":%.1f}\n",
      static_cast<unsigned long long>(r.fragments_merged), static_cast<unsigned long long>(r.send_errors),
      static_cast<unsigned long long>(r.retries), r.seconds,
      r.seconds > 0 ? double(r.datagrams) / r.seconds : 0.0, double(r.lateness_p50_ns) / 1e3,
      double(r.lateness_p99_ns) / 1e3, double(r.lateness_max_ns) / 1e3);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  ReplayOptions o;
  std::string target, check_url;
  std::vector<std::string> maps;
  std::vector<uint16_t> ports;
  double speed = 0, pps = 0, progress = 2;
  bool flat_out = false;

  CLI::App app{"ringest-replay — replay the UDP datagrams of a pcap/pcapng capture"};
  app.footer(kFooter);
  app.add_option("capture", o.file,
                 "Capture file (pcap or pcapng, as written by tcpdump, Wireshark, "
                 "ringest-loadgen --write-pcap)")
      ->required();
  app.add_option("-t,--target", target,
                 "host:port every datagram goes to unless --map says otherwise "
                 "(numeric IPv4, or [IPv6])");
  app.add_option("-m,--map", maps,
                 "PORT=host:port: datagrams captured to destination port PORT go to host:port "
                 "(repeatable)");
  app.add_option("-p,--port", ports,
                 "Replay only datagrams to this captured destination port (repeatable); "
                 "others are skipped as port_filtered");
  auto* sp = app.add_option("-s,--speed", speed,
                            "Original timing scaled: 2 replays twice as fast, 0.5 at half speed")
                 ->check(CLI::PositiveNumber);
  auto* pp = app.add_option("--pps", pps,
                            "Ignore capture timing: send N datagrams per second on an absolute "
                            "schedule")
                 ->check(CLI::PositiveNumber);
  auto* fo = app.add_flag("--flat-out", flat_out, "Ignore capture timing: send as fast as sendmmsg goes");
  sp->excludes(pp)->excludes(fo);
  pp->excludes(fo);
  app.add_option("-l,--loop", o.loops, "Replay the capture N times; original timing continues across passes")
      ->check(CLI::Range(uint64_t(1), uint64_t(1) << 40))
      ->capture_default_str();
  app.add_option("-b,--batch", o.batch,
                 "Most datagrams per sendmmsg call (a datagram never waits for a "
                 "batch to fill: whatever is due goes at once)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--progress", progress, "Seconds between progress lines on stderr; 0: none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option(
      "--check-metrics", check_url,
      "URL of ringestd's /metrics (http://127.0.0.1:9310/metrics): "
      "scrape before and after, print sent/received/stored/dropped by stage and reason/unaccounted, "
      "exit 3 when anything is unaccounted");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  if (flat_out)
    o.schedule.timing = ringest::replay::Timing::kFlatOut;
  else if (pps > 0)
    o.schedule = {ringest::replay::Timing::kPps, 1.0, pps};
  else
    o.schedule = {ringest::replay::Timing::kOriginal, speed > 0 ? speed : 1.0, 0};
  if (!target.empty()) {
    Target t;
    if (!parse_target(target, t)) {
      std::fprintf(stderr, "ringest-replay: bad --target '%s' (want host:port, numeric)\n", target.c_str());
      return kExitUsage;
    }
    o.target = t;
  }
  for (const std::string& m : maps) {
    const size_t eq = m.find('=');
    Target t;
    char* end = nullptr;
    const unsigned long port = eq == std::string::npos ? 0 : std::strtoul(m.c_str(), &end, 10);
    if (eq == std::string::npos || end != m.c_str() + eq || port == 0 || port > 65535 ||
        !parse_target(m.substr(eq + 1), t)) {
      std::fprintf(stderr, "ringest-replay: bad --map '%s' (want PORT=host:port)\n", m.c_str());
      return kExitUsage;
    }
    o.port_map[uint16_t(port)] = t;
  }
  if (!o.target && o.port_map.empty()) {
    std::fprintf(stderr,
                 "ringest-replay: say where to send: --target host:port and/or --map PORT=host:port\n");
    return kExitUsage;
  }
  o.ports.insert(ports.begin(), ports.end());
  o.progress_interval_s = progress;
  o.progress = [](const ReplayReport& r) {
    std::fprintf(stderr, "ringest-replay: %llu sent, %llu skipped, %.0f datagrams/s, %.1f s\n",
                 static_cast<unsigned long long>(r.datagrams),
                 static_cast<unsigned long long>(r.skipped_total()),
                 r.seconds > 0 ? double(r.datagrams) / r.seconds : 0.0, r.seconds);
  };

  ringest::check::Snapshot before;
  if (!check_url.empty()) {
    if (auto s = ringest::check::scrape(check_url, before); !s.ok()) {
      std::fprintf(stderr, "ringest-replay: --check-metrics: %s\n", s.message().c_str());
      return 4;
    }
  }

  // The default 50 µs timer slack would show up as timing error on every sleep.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  ringest::replay::MonotonicClock clock;
  ReplayReport report;
  std::string read_error;
  ringest::Status s = ringest::replay::run_replay(o, clock, report, read_error);
  if (!s.ok() && report.frames == 0 && report.passes == 0) {
    std::fprintf(stderr, "ringest-replay: %s\n", s.message().c_str());
    return kExitNoInput;
  }
  print_report(o, report, o.schedule.timing != ringest::replay::Timing::kFlatOut);
  print_json(report);
  if (!s.ok()) {
    std::fprintf(stderr, "ringest-replay: %s\n", s.message().c_str());
    return kExitOs;
  }
  int rc = 0;
  if (!read_error.empty()) {
    std::fprintf(stderr, "ringest-replay: %s: capture damaged, stopped reading: %s\n", o.file.c_str(),
                 read_error.c_str());
    rc = kExitNoInput;
  }
  if (!check_url.empty()) {
    const int c = ringest::check::check_after_send(check_url, before, report.datagrams, stderr);
    if (rc == 0) rc = c;
  }
  return rc;
}
