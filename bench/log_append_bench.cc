// Append throughput of the segment log against raw sequential writes to the
// same disk with the same sync cadence, measured side by side in one run.
//
//   raw: pwrite(batch_bytes) at increasing positions of one file, fdatasync
//        every sync_interval_ms (what durability "interval" asks of the disk);
//   log: PartitionLog with durability interval, the same batch size and sync
//        interval, appending raw records (datagrams of 10 records of
//        --record-bytes each, 200 by default), polled as a shard would.
// Each round writes --mib MiB of each, alternating raw and log so drift in the
// disk affects both; the best and median of --rounds are reported, as bytes
// that reached the file per second. Files go under --dir and are removed.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sinks/partition_log.h"

namespace {

using namespace ringest;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir = "bench-data";
  uint64_t mib = 1024;
  uint32_t batch_bytes = 256u << 10;
  uint32_t sync_interval_ms = 200;
  int rounds = 3;
  std::string compression = "none";
  uint32_t record_bytes = 200;  // raw bytes per record
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Bytes per second of plain sequential pwrite + periodic fdatasync.
double raw_round(const Options& o) {
  std::filesystem::path p = std::filesystem::path(o.dir) / "raw.bin";
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  std::vector<uint8_t> block(o.batch_bytes, 0x5a);
  uint64_t total = o.mib << 20, pos = 0;
  auto t0 = Clock::now();
  auto last_sync = t0;
  while (pos < total) {
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(pos)) !=
        static_cast<ssize_t>(block.size())) {
      std::perror("pwrite");
      std::exit(1);
    }
    pos += block.size();
    if (Clock::now() - last_sync >= std::chrono::milliseconds(o.sync_interval_ms)) {
      ::fdatasync(fd);
      last_sync = Clock::now();
    }
  }
  ::fdatasync(fd);  // the log's close syncs too
  double s = seconds_since(t0);
  ::close(fd);
  std::filesystem::remove(p);
  return static_cast<double>(pos) / s;
}

// Bytes per second the log wrote to its segments (headers included); also the
// record bytes appended per second (`input`), which differ with compression.
double log_round(const Options& o, double& input) {
  std::filesystem::path d = std::filesystem::path(o.dir) / "log";
  std::filesystem::remove_all(d);
  LogOptions lo;
  lo.dir = d;
  lo.batch_bytes = o.batch_bytes;
  lo.durability = Durability::kInterval;
  lo.sync_interval_ms = o.sync_interval_ms;
  parse_compression(o.compression, lo.compression);
  RecoveryReport report;
  Status err;
  auto log = PartitionLog::open(lo, report, err);
  if (!log) {
    std::fprintf(stderr, "open log: %s\n", err.message().c_str());
    std::exit(1);
  }
  std::string payload(o.record_bytes, 'x');
  Origin origin;
  uint64_t total = o.mib << 20;
  auto t0 = Clock::now();
  uint64_t n = 0;
  while (log->probe().bytes_written.get() < total) {
    for (int i = 0; i < 10; ++i) {
      payload[n % payload.size()] = static_cast<char>('a' + n % 26);  // not all alike
      origin.receive_ns = static_cast<int64_t>(n++);
      log->append_raw(origin, payload);
    }
    log->end_datagram();
    if (n % 640 == 0) log->poll(mono_ns());
  }
  Status st = log->close();
  double s = seconds_since(t0);
  double bytes = static_cast<double>(log->probe().bytes_written.get());
  input = static_cast<double>(n) * o.record_bytes / s;
  if (!st.ok()) std::fprintf(stderr, "close: %s\n", st.message().c_str());
  std::filesystem::remove_all(d);
  return bytes / s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Segment log append throughput against raw sequential writes with the same sync cadence"};
  app.add_option("--dir", o.dir, "directory on the disk to measure")->capture_default_str();
  app.add_option("--mib", o.mib, "MiB written per round and side")->capture_default_str();
  app.add_option("--batch-bytes", o.batch_bytes, "write size of both sides")->capture_default_str();
  app.add_option("--sync-interval-ms", o.sync_interval_ms, "fdatasync period of both sides")
      ->capture_default_str();
  app.add_option("--rounds", o.rounds, "alternating rounds")->capture_default_str();
  app.add_option("--record-bytes", o.record_bytes, "raw bytes per record appended to the log")
      ->capture_default_str();
  app.add_option("--compression", o.compression, "the log's compression: none, zstd, lz4")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(o.dir);
  std::vector<double> raw, logged, input;
  for (int r = 0; r < o.rounds; ++r) {
    raw.push_back(raw_round(o));
    double in = 0;
    logged.push_back(log_round(o, in));
    input.push_back(in);
    std::fprintf(stderr, "round %d: raw %.0f MiB/s, log %.0f MiB/s\n", r + 1, raw.back() / (1 << 20),
                 logged.back() / (1 << 20));
  }
  double raw_med = median(raw), log_med = median(logged);
  std::printf(
      "{\"mib\":%llu,\"record_bytes\":%u,\"batch_bytes\":%u,\"sync_interval_ms\":%u,\"compression\":\"%s\","
      "\"rounds\":%d,"
      "\"raw_mib_s_median\":%.1f,\"log_mib_s_median\":%.1f,\"raw_mib_s_best\":%.1f,\"log_mib_s_best\":%.1f,"
      "\"log_vs_raw\":%.3f,\"log_record_bytes_mib_s_median\":%.1f}\n",
      static_cast<unsigned long long>(o.mib), o.record_bytes, o.batch_bytes, o.sync_interval_ms,
      o.compression.c_str(), o.rounds, raw_med / (1 << 20), log_med / (1 << 20),
      *std::max_element(raw.begin(), raw.end()) / (1 << 20),
      *std::max_element(logged.begin(), logged.end()) / (1 << 20), log_med / raw_med,
      median(input) / (1 << 20));
  return 0;
}
