#include "daemon/durable_latency.h"

namespace ringest {

void DurableLatency::tick(int64_t mono_now, int64_t wall_now, uint64_t next_offset, uint64_t durable_offset) {
  if (oldest_pending_ns_ != 0 && mono_now >= next_sample_ns_) {
    // Bounded: a log that stops making progress must not grow this.
    if (pending_.size() == kMaxPending) pending_.pop_front();
    pending_.push_back({next_offset, oldest_pending_ns_});
    oldest_pending_ns_ = 0;
    next_sample_ns_ = mono_now + kSampleNs;
  }
  while (!pending_.empty() && durable_offset >= pending_.front().offset) {
    int64_t ns = wall_now - pending_.front().receive_ns;
    if (ns < 0) ns = 0;  // the wall clock stepped back
    size_t b = 0;
    while (b < kBounds.size() && double(ns) / 1e9 > kBounds[b]) ++b;
    buckets_[b].add();
    sum_ns_.add(static_cast<uint64_t>(ns));
    pending_.pop_front();
  }
}

}  // namespace ringest
