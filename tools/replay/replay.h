// The replay loop: capture frames → UDP datagrams (reassembling IPv4/IPv6
// fragments) → port filter and target mapping → schedule → sendmmsg batches.
// Used by ringest-replay and by the tests, which pass a fake clock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/status.h"
#include "tools/capture/skip.h"
#include "tools/replay/schedule.h"
#include "tools/replay/sender.h"

namespace ringest::replay {

struct ReplayReport {
  uint64_t passes = 0;
  uint64_t frames = 0;     // frames read from the capture, all passes
  uint64_t datagrams = 0;  // datagrams handed to the kernel
  uint64_t bytes = 0;      // their payload bytes
  // Fragment frames folded into a datagram completed by a later frame: after
  // a run, frames == datagrams + send_errors + skipped_total() + fragments_merged.
  uint64_t fragments_merged = 0;
  uint64_t send_errors = 0;  // datagrams the kernel refused (not retried)
  uint64_t retries = 0;      // sendmmsg calls repeated on a full local queue
  capture::SkipCounts skipped{};
  double seconds = 0;
  int64_t lateness_p50_ns = 0, lateness_p99_ns = 0, lateness_max_ns = 0;
  uint64_t skipped_total() const;
};

struct ReplayOptions {
  std::string file;
  ScheduleOptions schedule;
  uint64_t loops = 1;
  uint32_t batch = 64;
  std::set<uint16_t> ports;             // destination ports to replay; empty: all
  std::optional<Target> target;         // where datagrams go unless mapped
  std::map<uint16_t, Target> port_map;  // captured destination port → target
  double progress_interval_s = 0;       // > 0: call progress this often
  std::function<void(const ReplayReport&)> progress;
};

// Replays `o.file`. Returns an error for a file that cannot be opened or a
// socket that cannot be created; a read error in the middle of a file (a
// record cut short) ends that pass, is reported through `read_error`, and
// keeps everything sent before it.
Status run_replay(const ReplayOptions& o, Clock& clock, ReplayReport& report, std::string& read_error);

}  // namespace ringest::replay
