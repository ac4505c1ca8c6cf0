// ringest-loadgen: sends sequence-tagged datagrams in any of ringest's formats
// (or a mix), at a target rate or flat out, with sendmmsg from several
// sockets — or writes what it would send as a pcap file.
#include <arpa/inet.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/socket_address.h"
#include "tools/capture/writer.h"
#include "tools/check/metrics_check.h"
#include "tools/loadgen/formats.h"
#include "tools/replay/schedule.h"
#include "tools/replay/sender.h"

namespace {

using ringest::loadgen::Format;
using ringest::replay::Target;

constexpr int kExitUsage = 64, kExitOs = 71;

struct Options {
  std::string target = "127.0.0.1:8125";
  std::vector<std::string> to;  // FORMAT=host:port
  uint64_t count = 100000;
  double rate = 0;  // datagrams per second; 0 = as fast as possible
  uint32_t batch = 64;
  uint32_t lines = 1;
  uint64_t seq_start = 0;
  ringest::loadgen::Vocabulary vocab;
  std::string format = "statsd";
  std::string mix;
  uint32_t sockets = 1;
  std::string write_pcap;
  std::string check_metrics;
};

constexpr const char* kFooter = R"(
Formats (--format, --mix); where each line carries its datagram's sequence number:
  statsd        DogStatsD: api.http.requests:3|c|@0.1|#host:host-007,...,seq:N,line:L
  statsd-plain  Etsy StatsD without tags (c, g, ms, s) — carries no sequence number
  statsd-counters  counters only, without tags (api.http.requests:3|c, one in ten |@0.1),
                what every StatsD daemon takes (brubeck has no sets) — no sequence number
  influx        line protocol: api_http,host=...,seq=N,line=L requests=12.5,count=3i,ok=true <ns>
  graphite      tagged plaintext: api.http.requests;host=...;seq=N;line=L 42.5 <s>
  syslog5424    <PRI>1 <RFC 3339> host app pid access [seq@32473 n="N"][req@32473 ...] message
  syslog3164    <PRI>Mon dd hh:mm:ss host app[pid]: seq=N message
Syslog sends one message per datagram (RFC 5426) whatever --lines says.

Output: one JSON line on stdout: sent, lines, seconds, rate, retries, seq_start,
send_errors, bytes. Exit codes: 0 done; 3 --check-metrics found unaccounted
datagrams; 4 /metrics could not be read; 64 usage; 71 socket or file error.)";

bool resolve(const std::string& s, Target& t) {
  return ringest::resolve(s, t.addr, t.len).ok();
}

ringest::capture::IpAddress ip_of(const Target& t) {
  ringest::capture::IpAddress a;
  if (t.addr.ss_family == AF_INET6) {
    a.version = 6;
    std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in6*>(&t.addr)->sin6_addr, 16);
  } else {
    a.version = 4;
    std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in*>(&t.addr)->sin_addr, 4);
  }
  return a;
}

uint16_t port_of(const Target& t) {
  return ntohs(t.addr.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&t.addr)->sin6_port
                                            : reinterpret_cast<const sockaddr_in*>(&t.addr)->sin_port);
}

struct Result {
  uint64_t sent = 0, lines = 0, bytes = 0, retries = 0, errors = 0;
  double seconds = 0;
};

// Writes the datagrams as a capture: timestamps follow the --rate schedule
// (1 µs apart at --rate 0), source ports 40000 + socket number.
int write_capture(const Options& o, const ringest::loadgen::Mix& mix, const std::map<Format, Target>& targets,
                  Result& r) {
  std::unique_ptr<ringest::capture::Writer> w;
  if (auto s = ringest::capture::Writer::open(o.write_pcap, w); !s.ok()) {
    std::fprintf(stderr, "ringest-loadgen: %s\n", s.message().c_str());
    return kExitOs;
  }
  const int64_t start = ringest::wall_ns();
  const double ns_per = o.rate > 0 ? 1e9 / o.rate : 1000;
  std::string buf;
  for (uint64_t i = 0; i < o.count; ++i) {
    const uint64_t seq = o.seq_start + i;
    const Format f = mix.pick(seq);
    const Target& to = targets.at(f);
    const int64_t ts = start + int64_t(double(i) * ns_per);
    buf.clear();
    ringest::loadgen::append_datagram(f, o.vocab, seq, o.lines, ts, buf);
    ringest::capture::IpAddress src = ip_of(to);
    std::memset(src.bytes, 0, sizeof src.bytes);
    if (src.version == 4)
      src.bytes[0] = 127, src.bytes[3] = 1;
    else
      src.bytes[15] = 1;
    const uint16_t sport = uint16_t(40000 + (i / o.batch) % o.sockets);
    if (auto s = w->write_udp(ts, src, sport, ip_of(to), port_of(to),
                              {reinterpret_cast<const uint8_t*>(buf.data()), buf.size()});
        !s.ok()) {
      std::fprintf(stderr, "ringest-loadgen: %s: %s\n", o.write_pcap.c_str(), s.message().c_str());
      return kExitOs;
    }
    r.sent++;
    r.lines += ringest::loadgen::multi_line(f) ? o.lines : 1;
    r.bytes += buf.size();
  }
  if (auto s = w->close(); !s.ok()) {
    std::fprintf(stderr, "ringest-loadgen: %s\n", s.message().c_str());
    return kExitOs;
  }
  return 0;
}

int send_all(const Options& o, const ringest::loadgen::Mix& mix, const std::map<Format, Target>& targets,
             Result& r) {
  ringest::replay::Sender sender(o.batch, o.sockets);
  ringest::replay::MonotonicClock clock;
  const int64_t start = clock.now_ns();
  const double ns_per = o.rate > 0 ? 1e9 / o.rate : 0;
  std::string buf;
  uint64_t queued = 0;
  while (queued < o.count) {
    uint64_t n = std::min<uint64_t>(o.batch, o.count - queued);
    if (ns_per > 0) {
      // Absolute schedule: datagram i is due at start + i/rate, so the rate does not drift.
      const int64_t due = start + int64_t(double(queued) * ns_per);
      if (clock.now_ns() < due) clock.sleep_until(due);
      // Never send ahead of schedule: only what is due now goes in this call.
      const uint64_t due_now = uint64_t(double(clock.now_ns() - start) / ns_per) + 1;
      if (due_now > queued) n = std::min<uint64_t>(n, due_now - queued);
    }
    const int64_t wall = ringest::wall_ns();
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t seq = o.seq_start + queued + i;
      const Format f = mix.pick(seq);
      buf.clear();
      ringest::loadgen::append_datagram(f, o.vocab, seq, o.lines, wall, buf);
      sender.add(targets.at(f), {reinterpret_cast<const uint8_t*>(buf.data()), buf.size()});
      r.lines += ringest::loadgen::multi_line(f) ? o.lines : 1;
    }
    queued += n;
    if (auto s = sender.flush(); !s.ok()) {
      std::fprintf(stderr, "ringest-loadgen: %s\n", s.message().c_str());
      return kExitOs;
    }
  }
  r.seconds = double(clock.now_ns() - start) / 1e9;
  r.sent = sender.sent();
  r.bytes = sender.sent_bytes();
  r.retries = sender.retries();
  r.errors = sender.send_errors();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "ringest-loadgen — send sequence-tagged telemetry datagrams (StatsD, line protocol, Graphite, syslog)"};
  app.footer(kFooter);
  app.add_option("-t,--target", o.target, "host:port to send to (numeric IPv4, or [IPv6])")
      ->capture_default_str();
  app.add_option("--to", o.to,
                 "FORMAT=host:port: send that format of a --mix elsewhere than --target (repeatable)");
  app.add_option("-n,--count", o.count, "Datagrams to send")->capture_default_str();
  app.add_option("-r,--rate", o.rate,
                 "Datagrams per second on an absolute schedule; 0 sends as fast as possible")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("-b,--batch", o.batch, "Datagrams per sendmmsg call")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("-l,--lines", o.lines, "Lines per datagram, joined with '\\n' (syslog: always 1)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--seq-start", o.seq_start, "First sequence number")->capture_default_str();
  app.add_option("-f,--format", o.format, "Payload format of every datagram (see Formats below)")
      ->check(CLI::IsMember(ringest::loadgen::format_names()))
      ->capture_default_str();
  app.add_option("--mix", o.mix,
                 "Weighted mix of formats instead of --format, e.g. statsd=70,influx=20,syslog5424=10 "
                 "(each datagram one format)");
  app.add_option("--names", o.vocab.names, "Distinct metric names (service.component.metric vocabulary)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--hosts", o.vocab.hosts, "Distinct host tag values (tag cardinality)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("-s,--sockets", o.sockets, "Sockets (source ports) sending in turn, batch by batch")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("-w,--write-pcap", o.write_pcap,
                 "Write the datagrams to this pcap file instead of sending them "
                 "(timestamps follow --rate; ringest-replay, tcpdump and Wireshark read it)");
  app.add_option(
      "--check-metrics", o.check_metrics,
      "URL of ringestd's /metrics: scrape before and after, print "
      "sent/received/stored/dropped by stage and reason/unaccounted, exit 3 when anything is unaccounted");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  ringest::loadgen::Mix mix;
  if (!o.mix.empty()) {
    if (std::string err = mix.parse(o.mix); !err.empty()) {
      std::fprintf(stderr, "ringest-loadgen: bad --mix: %s\n", err.c_str());
      return kExitUsage;
    }
  } else {
    Format f;
    ringest::loadgen::parse_format(o.format, f);
    mix.set_single(f);
  }
  Target fallback;
  if (!resolve(o.target, fallback)) {
    std::fprintf(stderr, "ringest-loadgen: bad --target '%s'\n", o.target.c_str());
    return kExitUsage;
  }
  std::map<Format, Target> targets;
  for (const auto& [name, f] : ringest::loadgen::kFormats) targets[f] = fallback;
  for (const std::string& spec : o.to) {
    const size_t eq = spec.find('=');
    Format f;
    Target t;
    if (eq == std::string::npos || !ringest::loadgen::parse_format(spec.substr(0, eq), f) ||
        !resolve(spec.substr(eq + 1), t)) {
      std::fprintf(stderr, "ringest-loadgen: bad --to '%s' (want FORMAT=host:port)\n", spec.c_str());
      return kExitUsage;
    }
    targets[f] = t;
  }

  ringest::check::Snapshot before;
  if (!o.check_metrics.empty() && o.write_pcap.empty()) {
    if (auto s = ringest::check::scrape(o.check_metrics, before); !s.ok()) {
      std::fprintf(stderr, "ringest-loadgen: --check-metrics: %s\n", s.message().c_str());
      return 4;
    }
  }
  Result r;
  const int rc = o.write_pcap.empty() ? send_all(o, mix, targets, r) : write_capture(o, mix, targets, r);
  if (rc != 0) return rc;
  std::printf(
      "{\"sent\":%llu,\"lines\":%llu,\"seconds\":%.3f,\"rate\":%.0f,\"retries\":%llu,\"seq_start\":%llu,"
      "\"send_errors\":%llu,\"bytes\":%llu}\n",
      static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.lines), r.seconds,
      r.seconds > 0 ? double(r.sent) / r.seconds : 0.0, static_cast<unsigned long long>(r.retries),
      static_cast<unsigned long long>(o.seq_start), static_cast<unsigned long long>(r.errors),
      static_cast<unsigned long long>(r.bytes));
  std::fflush(stdout);
  if (!o.check_metrics.empty() && o.write_pcap.empty())
    return ringest::check::check_after_send(o.check_metrics, before, r.sent, stderr);
  return 0;
}
