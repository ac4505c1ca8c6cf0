// WriteHealth: tells the operator when a partition starts and stops losing
// writes (disk full, I/O errors). One warning when writes start failing, one a
// minute while they go on, one once batches have been written again for a
// second without a drop — each with the datagrams dropped meanwhile. A disk
// that flaps (nearly full: some batches fit, others not) is one episode, not a
// line per batch. Owned and called by the partition's shard thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "sinks/partition_log.h"

namespace ringest {

class WriteHealth {
 public:
  static constexpr int64_t kRepeatNs = 60'000'000'000;
  static constexpr int64_t kSettleNs = 1'000'000'000;  // writing without a drop, to call it over

  explicit WriteHealth(uint32_t partition) : partition_(partition) {}

  // After each poll of the log: its probe, and what says why the last write
  // failed (asked only when a line is written).
  void check(int64_t now_mono_ns, const LogProbe& p, const std::function<std::string()>& why);
  // When check() must run again even without input (INT64_MAX: not needed).
  int64_t next_deadline() const { return failing_ ? std::min(next_repeat_ns_, writing_since_ns_ + kSettleNs) : INT64_MAX; }
  // Any thread: kWriting, or while an episode lasts (from the first drop until
  // writes held for kSettleNs) what made writes fail last: kDiskFull or
  // kWriteError. Readiness and ringest_log_write_failing follow this, so a
  // nearly full disk whose batches fit now and then does not flap them.
  uint64_t state() const { return state_.load(std::memory_order_relaxed); }

 private:
  uint32_t partition_;
  bool failing_ = false;
  uint64_t kind_ = kWriting;  // the last failure seen in the probe
  std::atomic<uint64_t> state_{kWriting};
  uint64_t dropped_seen_ = 0;    // sink drops at the last look
  uint64_t dropped_before_ = 0;  // sink drops when the episode began
  int64_t next_repeat_ns_ = 0;
  int64_t writing_since_ns_ = INT64_MAX - kSettleNs;  // during an episode: writing, without a drop, since
};

}  // namespace ringest
