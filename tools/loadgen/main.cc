// ringest-loadgen: sends StatsD datagrams carrying sequence numbers, at a
// target rate or flat out, with sendmmsg. Every datagram holds `--lines`
// lines; each line carries the datagram's sequence number as the tag `seq`,
// so a reader of the log can tell exactly which datagrams were stored.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/clock.h"
#include "rio/linux/udp_socket.h"

namespace {

struct Options {
  std::string target = "127.0.0.1:8125";
  uint64_t count = 100000;
  double rate = 0;  // datagrams per second; 0 = as fast as possible
  uint32_t batch = 64;
  uint32_t lines = 1;
  uint64_t seq_start = 0;
  uint32_t names = 100;  // distinct metric names
};

// Writes datagram `seq` into `out`; returns its length.
size_t format_datagram(const Options& o, uint64_t seq, char* out, size_t cap) {
  size_t n = 0;
  for (uint32_t l = 0; l < o.lines; ++l) {
    int w = std::snprintf(out + n, cap - n, "%sloadgen.metric%u:%u|c|#seq:%llu,line:%u", l ? "\n" : "",
                          static_cast<unsigned>((seq + l) % o.names), 1 + static_cast<unsigned>(seq % 7),
                          static_cast<unsigned long long>(seq), l);
    if (w < 0 || size_t(w) >= cap - n) break;
    n += size_t(w);
  }
  return n;
}

void sleep_until(int64_t mono_deadline) {
  timespec ts{static_cast<time_t>(mono_deadline / 1'000'000'000), static_cast<long>(mono_deadline % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"ringest-loadgen — send sequence-tagged StatsD datagrams"};
  app.add_option("-t,--target", o.target, "host:port to send to (numeric IPv4, or [IPv6])")->capture_default_str();
  app.add_option("-n,--count", o.count, "Datagrams to send")->capture_default_str();
  app.add_option("-r,--rate", o.rate, "Datagrams per second; 0 sends as fast as possible")->capture_default_str();
  app.add_option("-b,--batch", o.batch, "Datagrams per sendmmsg call")->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("-l,--lines", o.lines, "StatsD lines per datagram")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--seq-start", o.seq_start, "First sequence number")->capture_default_str();
  app.add_option("--names", o.names, "Distinct metric names")->check(CLI::Range(1, 1000000))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  sockaddr_storage to;
  socklen_t to_len;
  if (!ringest::rio::linux_udp::resolve(o.target, to, to_len).ok()) {
    std::fprintf(stderr, "ringest-loadgen: bad --target '%s'\n", o.target.c_str());
    return 2;
  }
  int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&to), to_len) != 0) {
    std::fprintf(stderr, "ringest-loadgen: %s: %s\n", o.target.c_str(), std::strerror(errno));
    return 1;
  }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  const size_t kCap = 64 * size_t(o.lines) + 64;
  std::vector<char> bufs(size_t(o.batch) * kCap);
  std::vector<iovec> iov(o.batch);
  std::vector<mmsghdr> msgs(o.batch);
  const int64_t start = ringest::mono_ns();
  const double ns_per = o.rate > 0 ? 1e9 / o.rate : 0;
  uint64_t sent = 0, errors = 0;
  while (sent < o.count) {
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(o.batch, o.count - sent));
    if (ns_per > 0) {
      // Absolute schedule: datagram i is due at start + i/rate, so the rate does not drift.
      int64_t due = start + static_cast<int64_t>(double(sent) * ns_per);
      if (ringest::mono_ns() < due) sleep_until(due);
      // Never send ahead of schedule: only what is due now goes in this call.
      uint64_t due_now = static_cast<uint64_t>(double(ringest::mono_ns() - start) / ns_per) + 1;
      if (due_now > sent) n = static_cast<uint32_t>(std::min<uint64_t>(n, due_now - sent));
    }
    for (uint32_t i = 0; i < n; ++i) {
      char* b = &bufs[i * kCap];
      iov[i] = {b, format_datagram(o, o.seq_start + sent + i, b, kCap)};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    uint32_t done = 0;
    while (done < n) {
      int r = sendmmsg(fd, msgs.data() + done, n - done, 0);
      if (r < 0) {
        // ENOBUFS/EAGAIN: the local queue is full; ECONNREFUSED: an ICMP
        // error from an earlier datagram. Try the same datagram again.
        if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) {
          ++errors;
          continue;
        }
        std::fprintf(stderr, "ringest-loadgen: sendmmsg: %s\n", std::strerror(errno));
        return 1;
      }
      done += static_cast<uint32_t>(r);
    }
    sent += n;
  }
  const double secs = double(ringest::mono_ns() - start) / 1e9;
  std::printf("{\"sent\":%llu,\"lines\":%llu,\"seconds\":%.3f,\"rate\":%.0f,\"retries\":%llu,\"seq_start\":%llu}\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(sent * o.lines), secs,
              secs > 0 ? double(sent) / secs : 0.0, static_cast<unsigned long long>(errors),
              static_cast<unsigned long long>(o.seq_start));
  close(fd);
  return 0;
}
