// DurableLatency: how long records take from receive to durable, sampled.
//
// The shard notes, at most every sample interval, a checkpoint: the log
// offset its next record will get and the receive time of the oldest record
// appended since the last checkpoint. When the log's durable watermark passes
// a checkpoint, now − that receive time is one observation. The histogram
// thereby covers the worst record of each interval, at a cost of one clock
// read per shard loop. One writer (the shard thread); buckets read at scrape.
#pragma once

#include <array>
#include <cstdint>
#include <deque>

#include "common/counter.h"

namespace ringest {

class DurableLatency {
 public:
  // Upper bounds of the buckets, in seconds; a last bucket takes the rest.
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1,    2.5,   10};

  // A record received at `receive_ns` (wall clock) was appended.
  void appended(int64_t receive_ns) {
    if (oldest_pending_ns_ == 0 || receive_ns < oldest_pending_ns_) oldest_pending_ns_ = receive_ns;
  }
  // Shard loop: `next_offset` and `durable_offset` from the log's probe.
  void tick(int64_t mono_now, int64_t wall_now, uint64_t next_offset, uint64_t durable_offset);

  // When tick() must run next to take a checkpoint; INT64_MAX with none pending.
  int64_t next_deadline() const { return oldest_pending_ns_ != 0 ? next_sample_ns_ : INT64_MAX; }

  uint64_t bucket(size_t i) const { return buckets_[i].get(); }
  double sum_seconds() const { return double(sum_ns_.get()) / 1e9; }

 private:
  struct Checkpoint {
    uint64_t offset;  // durable once the watermark reaches this
    int64_t receive_ns;
  };
  static constexpr int64_t kSampleNs = 10'000'000;
  static constexpr size_t kMaxPending = 1024;

  std::deque<Checkpoint> pending_;
  int64_t oldest_pending_ns_ = 0;
  int64_t next_sample_ns_ = 0;
  std::array<Counter, kBounds.size() + 1> buckets_;
  Counter sum_ns_;
};

}  // namespace ringest
