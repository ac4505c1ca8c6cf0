#include "daemon/durable_latency.h"

#include <doctest/doctest.h>

namespace ringest {

TEST_CASE("durable latency observes the oldest record of an interval once the watermark passes it") {
  DurableLatency d;
  const int64_t wall = 1'000'000'000'000;
  d.appended(wall - 3'000'000);  // received 3 ms before `wall`
  d.appended(wall - 1'000'000);
  d.tick(/*mono*/ 0, wall, /*next*/ 10, /*durable*/ 0);  // checkpoint at offset 10
  uint64_t total = 0;
  for (size_t b = 0; b <= DurableLatency::kBounds.size(); ++b) total += d.bucket(b);
  CHECK(total == 0);  // not durable yet
  d.tick(1, wall + 7'000'000, 10, 9);
  total = 0;
  for (size_t b = 0; b <= DurableLatency::kBounds.size(); ++b) total += d.bucket(b);
  CHECK(total == 0);  // offset 9 < 10
  d.tick(2, wall + 7'000'000, 10, 10);
  // 10 ms from the oldest record's receive to durable: the (5 ms, 10 ms] bucket.
  CHECK(d.bucket(3) == 1);
  CHECK(d.sum_seconds() == doctest::Approx(0.010));
}

TEST_CASE("durable latency takes one sample per interval and none without appends") {
  DurableLatency d;
  d.tick(0, 100, 0, 0);
  d.appended(50);
  d.tick(0, 100, 5, 0);
  d.appended(60);
  d.tick(1'000'000, 100, 8, 0);  // within the 10 ms interval: no second checkpoint
  d.tick(20'000'000, 100, 8, 8);  // the second checkpoint is taken now and is durable at once
  uint64_t total = 0;
  for (size_t b = 0; b <= DurableLatency::kBounds.size(); ++b) total += d.bucket(b);
  CHECK(total == 2);
}

}  // namespace ringest
