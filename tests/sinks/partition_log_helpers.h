// Records and options the partition log tests write with.
#pragma once

#include <cstdint>
#include <filesystem>

#include "common/clock.h"
#include "sinks/partition_log.h"
#include "test_util.h"

namespace ringest::test::plog {

inline LogOptions options(const std::filesystem::path& dir) {
  LogOptions o;
  o.dir = dir;
  o.partition = 3;
  o.batch_bytes = 1024;
  o.writes_in_flight = 3;
  o.durability = Durability::kInterval;
  return o;
}

// Record number n: a point, or now and then a raw record.
inline OwnedRecord record(uint64_t n) {
  return n % 10 == 9 ? test::sample_raw(n) : test::sample_point(n);
}

// The records of format 3's committed segments (tests/vectors/segment-v3):
// record(n), but every third point a StatsD metric.
inline OwnedRecord record_v3(uint64_t n) {
  return n % 3 == 1 && n % 10 != 9 ? test::sample_metric(n) : record(n);
}

inline void append(PartitionLog& log, const OwnedRecord& r) {
  auto v = r.views();
  if (r.kind == RecordKind::kRaw) {
    REQUIRE(log.append_raw(v.origin, r.raw));
  } else {
    REQUIRE(log.append_point(v.origin, v.point));
  }
}

// Appends records [first, first + count) in datagrams of `per_datagram`,
// polling as a shard would.
inline void write_records(PartitionLog& log, uint64_t first, uint64_t count, uint64_t per_datagram = 3) {
  for (uint64_t n = first; n < first + count; ++n) {
    append(log, record(n));
    if ((n - first) % per_datagram == per_datagram - 1 || n == first + count - 1) {
      log.end_datagram();
      log.poll(mono_ns());
    }
  }
}

}  // namespace ringest::test::plog
