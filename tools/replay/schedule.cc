#include "tools/replay/schedule.h"

#include <time.h>

#include <algorithm>
#include <bit>
#include <cerrno>

namespace ringest::replay {

int64_t MonotonicClock::now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void MonotonicClock::sleep_until(int64_t deadline_ns) {
  timespec ts{time_t(deadline_ns / 1'000'000'000), long(deadline_ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

size_t LatenessHistogram::bucket(uint64_t v) {
  if (v < 16) return size_t(v);
  const int e = 63 - std::countl_zero(v);  // 4..63
  return 16 + size_t(e - 4) * kSub + size_t((v >> (e - 4)) & (kSub - 1));
}

uint64_t LatenessHistogram::bucket_upper(size_t b) {
  if (b < 16) return b;
  const size_t e = (b - 16) / kSub + 4, sub = (b - 16) % kSub;
  return ((uint64_t(kSub) + sub + 1) << (e - 4)) - 1;
}

void LatenessHistogram::add(int64_t ns) {
  const uint64_t v = ns < 0 ? 0 : uint64_t(ns);
  ++buckets_[bucket(v)];
  ++count_;
  if (ns > max_) max_ = ns;
}

int64_t LatenessHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = uint64_t(q * double(count_ - 1)) + 1, seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) return std::min<int64_t>(int64_t(bucket_upper(b)), max_);
  }
  return max_;
}

int64_t Scheduler::due(int64_t capture_ts_ns) {
  if (options_.timing == Timing::kFlatOut) return 0;
  if (!started_) {
    started_ = true;
    anchor_ = clock_.now_ns();
  }
  int64_t d;
  if (options_.timing == Timing::kPps) {
    d = anchor_ + int64_t(double(index_) * 1e9 / options_.pps);
  } else {
    if (!pass_started_) first_ts_ = capture_ts_ns;
    const int64_t offset = capture_ts_ns - first_ts_;
    d = offset <= 0 ? anchor_ : anchor_ + int64_t(double(offset) / options_.speed);
  }
  pass_started_ = true;
  ++index_;
  if (d > last_due_) last_due_ = d;
  return d;
}

void Scheduler::next_pass() {
  if (options_.timing == Timing::kOriginal && pass_started_) anchor_ = last_due_;
  pass_started_ = false;
}

int64_t Scheduler::wait_until(int64_t due_ns) {
  int64_t now = clock_.now_ns();
  if (now < due_ns) {
    clock_.sleep_until(due_ns);
    now = clock_.now_ns();
  }
  return now;
}

}  // namespace ringest::replay
