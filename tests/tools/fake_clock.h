// A clock for scheduler tests: time moves only when the code sleeps or the
// test advances it, and every sleep is recorded.
#pragma once

#include <vector>

#include "tools/replay/schedule.h"

namespace ringest::test {

class FakeClock final : public replay::Clock {
 public:
  explicit FakeClock(int64_t start = 1'000'000'000) : now_(start) {}
  int64_t now_ns() override {
    now_ += step_;
    return now_;
  }
  void sleep_until(int64_t deadline) override {
    sleeps.push_back(deadline);
    if (deadline > now_) now_ = deadline + oversleep_;
  }
  void advance(int64_t ns) { now_ += ns; }
  // Each now_ns() call costs `ns` (the work between readings).
  void set_step(int64_t ns) { step_ = ns; }
  void set_oversleep(int64_t ns) { oversleep_ = ns; }
  int64_t peek() const { return now_; }
  std::vector<int64_t> sleeps;

 private:
  int64_t now_;
  int64_t step_ = 0;
  int64_t oversleep_ = 0;
};

}  // namespace ringest::test
