// When each replayed datagram is due, against an absolute monotonic clock.
//
// Original timing: datagram i is due at anchor + (ts_i - ts_0) / speed, where
// ts are the capture's own timestamps and the anchor is the clock reading at
// the first datagram — so a late send never pushes later datagrams back and
// the schedule does not drift. A timestamp that goes backwards (an unsorted
// capture) is due at once. --pps N: datagram i is due at anchor + i / N.
// Flat out: everything is due at once.
//
// The clock is injected, so tests drive the schedule with a fake one.
// Single-threaded.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ringest::replay {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ns() = 0;
  // Returns at or after `deadline_ns` (monotonic).
  virtual void sleep_until(int64_t deadline_ns) = 0;
};

// CLOCK_MONOTONIC with absolute clock_nanosleep.
class MonotonicClock final : public Clock {
 public:
  int64_t now_ns() override;
  void sleep_until(int64_t deadline_ns) override;
};

enum class Timing { kOriginal, kPps, kFlatOut };

struct ScheduleOptions {
  Timing timing = Timing::kOriginal;
  double speed = 1.0;  // kOriginal: 2 plays twice as fast
  double pps = 0;      // kPps: datagrams per second
};

// Histogram of lateness (send time − due time) with ~6% resolution.
class LatenessHistogram {
 public:
  void add(int64_t ns);
  // The q-quantile (0..1) in ns: the upper bound of the bucket it falls in.
  int64_t quantile(double q) const;
  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }

 private:
  static constexpr int kSub = 16;
  static size_t bucket(uint64_t v);
  static uint64_t bucket_upper(size_t b);
  std::array<uint64_t, 16 + 60 * kSub> buckets_{};
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

class Scheduler {
 public:
  Scheduler(Clock& clock, ScheduleOptions options) : clock_(clock), options_(options) {}

  // Due time of the next datagram (in order), from its capture timestamp.
  int64_t due(int64_t capture_ts_ns);

  // Starts another pass over the capture (--loop): its first datagram is due
  // when the previous pass's last one was, and its timestamps restart.
  void next_pass();

  // Sleeps until `due_ns` unless it has passed; returns the clock reading after.
  int64_t wait_until(int64_t due_ns);

  // Records that a datagram due at `due_ns` went out at `sent_ns`.
  void sent(int64_t due_ns, int64_t sent_ns) {
    if (options_.timing != Timing::kFlatOut) lateness_.add(sent_ns - due_ns);
  }

  const LatenessHistogram& lateness() const { return lateness_; }
  Clock& clock() { return clock_; }

 private:
  Clock& clock_;
  ScheduleOptions options_;
  bool started_ = false;
  int64_t anchor_ = 0;    // monotonic time of this pass's first datagram
  int64_t first_ts_ = 0;  // capture timestamp of this pass's first datagram
  bool pass_started_ = false;
  uint64_t index_ = 0;  // datagrams scheduled (kPps)
  int64_t last_due_ = 0;
  LatenessHistogram lateness_;
};

}  // namespace ringest::replay
