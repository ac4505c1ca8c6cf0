// The scheduler against an injected clock: due times, speed, pps, loops,
// unsorted captures and the lateness histogram. No real time is involved.
#include "tools/replay/schedule.h"

#include <doctest/doctest.h>

#include "tests/tools/fake_clock.h"

using namespace ringest::replay;
using ringest::test::FakeClock;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kCap = 1'600'000'000'000'000'000;  // a capture timestamp in 2020

TEST_CASE("original timing: due = anchor + capture offset, from an absolute anchor") {
  FakeClock clock;
  Scheduler s(clock, {Timing::kOriginal, 1.0, 0});
  const int64_t anchor = clock.peek();
  CHECK(s.due(kCap) == anchor);
  clock.advance(50 * kMs);  // a slow send must not push the schedule back
  CHECK(s.due(kCap + 10 * kMs) == anchor + 10 * kMs);
  CHECK(s.due(kCap + 1000 * kMs) == anchor + 1000 * kMs);
}

TEST_CASE("speed scales the capture's gaps") {
  FakeClock clock;
  Scheduler fast(clock, {Timing::kOriginal, 4.0, 0});
  const int64_t anchor = clock.peek();
  fast.due(kCap);
  CHECK(fast.due(kCap + 100 * kMs) == anchor + 25 * kMs);
  Scheduler slow(clock, {Timing::kOriginal, 0.5, 0});
  const int64_t anchor2 = clock.peek();
  slow.due(kCap);
  CHECK(slow.due(kCap + 100 * kMs) == anchor2 + 200 * kMs);
}

TEST_CASE("a timestamp going backwards is due at once, the schedule keeps its anchor") {
  FakeClock clock;
  Scheduler s(clock, {Timing::kOriginal, 1.0, 0});
  const int64_t anchor = clock.peek();
  s.due(kCap + 5 * kMs);
  CHECK(s.due(kCap) == anchor);
  CHECK(s.due(kCap + 7 * kMs) == anchor + 2 * kMs);
}

TEST_CASE("pps ignores capture timestamps") {
  FakeClock clock;
  Scheduler s(clock, {Timing::kPps, 1.0, 1000});
  const int64_t anchor = clock.peek();
  CHECK(s.due(kCap + 999 * kMs) == anchor);
  CHECK(s.due(kCap) == anchor + 1 * kMs);
  CHECK(s.due(kCap) == anchor + 2 * kMs);
}

TEST_CASE("flat out: everything is due immediately and nothing is timed") {
  FakeClock clock;
  Scheduler s(clock, {Timing::kFlatOut, 1.0, 0});
  CHECK(s.due(kCap) <= clock.peek());
  CHECK(s.due(kCap + 1000 * kMs) <= clock.peek());
  s.sent(0, clock.peek());
  CHECK(s.lateness().count() == 0);
}

TEST_CASE("a second pass starts where the first one ended") {
  FakeClock clock;
  Scheduler s(clock, {Timing::kOriginal, 1.0, 0});
  s.next_pass();
  const int64_t anchor = clock.peek();
  s.due(kCap);
  CHECK(s.due(kCap + 30 * kMs) == anchor + 30 * kMs);
  s.next_pass();
  CHECK(s.due(kCap) == anchor + 30 * kMs);
  CHECK(s.due(kCap + 30 * kMs) == anchor + 60 * kMs);
}

TEST_CASE("wait_until sleeps only for the future and uses absolute deadlines") {
  FakeClock clock;
  Scheduler s(clock, {Timing::kOriginal, 1.0, 0});
  const int64_t t0 = clock.peek();
  CHECK(s.wait_until(t0 - 5) == t0);
  CHECK(clock.sleeps.empty());
  CHECK(s.wait_until(t0 + 7 * kMs) == t0 + 7 * kMs);
  REQUIRE(clock.sleeps.size() == 1);
  CHECK(clock.sleeps[0] == t0 + 7 * kMs);
}

TEST_CASE("lateness percentiles") {
  LatenessHistogram h;
  for (int i = 1; i <= 100; ++i) h.add(i * 1000);  // 1..100 µs
  CHECK(h.count() == 100);
  CHECK(h.max() == 100'000);
  const int64_t p50 = h.quantile(0.5), p99 = h.quantile(0.99);
  CHECK(p50 >= 50'000);
  CHECK(p50 <= 53'200);  // within the histogram's 1/16 resolution
  CHECK(p99 >= 99'000);
  CHECK(p99 <= 100'000);
  h.add(-5);  // early sends count as on time
  CHECK(h.quantile(0.0) == 0);
  LatenessHistogram small;
  for (int v = 0; v < 16; ++v) small.add(v);
  CHECK(small.quantile(1.0) == 15);
}
