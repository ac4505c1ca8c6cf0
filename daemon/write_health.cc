#include "daemon/write_health.h"

#include <spdlog/spdlog.h>

namespace ringest {

namespace {

uint64_t sink_drops(const LogProbe& p) {
  return p.dropped_disk_full.get() + p.dropped_sink_error.get();
}

const char* what(uint64_t failure) {
  return failure == kDiskFull ? "disk full" : failure == kWriteError ? "write error" : "failed, then written again";
}

}  // namespace

void WriteHealth::check(int64_t now_mono_ns, const LogProbe& p, const std::function<std::string()>& why) {
  const uint64_t failure = p.write_failing.get();
  const uint64_t dropped = sink_drops(p);
  const bool dropping = failure != kWriting || dropped != dropped_seen_;
  dropped_seen_ = dropped;
  if (failure != kWriting) kind_ = failure;
  if (dropping) state_.store(kind_ != kWriting ? kind_ : kWriteError, std::memory_order_relaxed);
  if (!failing_) {
    if (!dropping) return;  // the common case
    failing_ = true;
    // A failure that healed between two looks still began an episode.
    spdlog::warn("partition {}: writes are failing ({}: {}); datagrams are dropped until the log can write again",
                 partition_, what(failure), why());
    next_repeat_ns_ = now_mono_ns + kRepeatNs;
    writing_since_ns_ = failure == kWriting ? now_mono_ns : INT64_MAX - kSettleNs;
    return;
  }
  if (dropping) {
    writing_since_ns_ = failure == kWriting ? now_mono_ns : INT64_MAX - kSettleNs;
  } else if (writing_since_ns_ == INT64_MAX - kSettleNs) {
    writing_since_ns_ = now_mono_ns;
  } else if (now_mono_ns - writing_since_ns_ >= kSettleNs) {
    failing_ = false;
    state_.store(kWriting, std::memory_order_relaxed);
    spdlog::warn("partition {}: writing again; {} datagram(s) were dropped while it could not", partition_,
                 dropped - dropped_before_);
    dropped_before_ = dropped;
    return;
  }
  if (now_mono_ns >= next_repeat_ns_) {
    spdlog::warn("partition {}: writes still failing ({}: {}); {} datagram(s) dropped so far", partition_,
                 failure == kWriting ? "on and off" : what(failure), why(), dropped - dropped_before_);
    next_repeat_ns_ = now_mono_ns + kRepeatNs;
  }
}

}  // namespace ringest
