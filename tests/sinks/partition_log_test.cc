// PartitionLog on real files: round trips, rotation, durability, recovery from
// damage made on purpose (write errors: partition_log_errors_test.cc).
#include "sinks/partition_log.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sinks/coding.h"
#include "sinks/file_layer.h"
#include "sinks/segment_format.h"
#include "partition_log_helpers.h"
#include "test_util.h"

namespace ringest {
namespace {

using namespace segfmt;
using test::OwnedRecord;
using test::ReadBack;
using test::open_log;
using test::TempDir;
using namespace test::plog;

void check_records(const ReadBack& back, uint64_t first, uint64_t count, uint64_t first_offset) {
  CHECK(back.damage.empty());
  REQUIRE(back.records.size() == count);
  for (uint64_t i = 0; i < count; ++i) {
    const OwnedRecord& r = back.records[i];
    CHECK(r.partition == 3);
    CHECK(r.offset == first_offset + i);
    CHECK(r.same_content(record(first + i)));
  }
}

TEST_CASE("partition log: round trip through close and read back") {
  TempDir dir;
  auto log = open_log(options(dir.path()));
  write_records(*log, 0, 200);
  REQUIRE(log->close().ok());
  const LogProbe& p = log->probe();
  CHECK(p.records_written.get() == 200);
  CHECK(p.datagrams_stored.get() == 67);  // 66 of three and one of two
  CHECK(p.next_offset.get() == 200);
  CHECK(p.durable_offset.get() == 200);
  CHECK(p.dropped_disk_full.get() + p.dropped_sink_error.get() == 0);
  CHECK(p.batches_written.get() > 1);
  ReadBack back = test::read_back(dir.path());
  check_records(back, 0, 200, 0);
  CHECK(back.batches.size() == p.batches_written.get());
}

TEST_CASE("partition log: reopen continues at the next offset") {
  TempDir dir;
  {
    auto log = open_log(options(dir.path()));
    write_records(*log, 0, 50);
    REQUIRE(log->close().ok());
  }
  RecoveryReport report;
  auto log = open_log(options(dir.path()), report);
  CHECK(report.next_offset == 50);
  CHECK(report.truncated_bytes == 0);
  CHECK(report.detail.empty());
  CHECK(report.segments == 1);
  write_records(*log, 50, 30);
  REQUIRE(log->close().ok());
  check_records(test::read_back(dir.path()), 0, 80, 0);
}

TEST_CASE("partition log: a datagram's records land in one batch") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.batch_bytes = 100;  // smaller than one datagram: every datagram seals a batch
  auto log = open_log(o);
  write_records(*log, 0, 70, 7);
  REQUIRE(log->close().ok());
  ReadBack back = test::read_back(dir.path());
  check_records(back, 0, 70, 0);
  REQUIRE(back.batches.size() == 10);
  for (const auto& b : back.batches) CHECK(b.size() == 7);
}

TEST_CASE("partition log: flush writes a quiet listener's records") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.batch_bytes = 1 << 20;
  o.linger_ms = 60'000;  // only the flush writes
  auto log = open_log(o);
  write_records(*log, 0, 4, 2);
  CHECK(log->probe().batches_written.get() == 0);  // still in the open batch
  log->flush();
  for (int i = 0; i < 10000 && log->probe().datagrams_stored.get() < 2; ++i) {
    log->poll(mono_ns());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the write is asynchronous
  }
  CHECK(log->probe().datagrams_stored.get() == 2);
  check_records(test::read_back(dir.path()), 0, 4, 0);  // readable before close
  REQUIRE(log->close().ok());
}

// Polled until `done` holds (writes and syncs complete asynchronously).
template <class Done>
void poll_until(PartitionLog& log, Done done) {
  for (int i = 0; i < 10000 && !done(); ++i) {
    log.poll(mono_ns());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(done());
}

TEST_CASE("partition log: an idle log has no deadline; an open batch lingers, then poll writes it") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.batch_bytes = 1 << 20;
  o.linger_ms = 20;
  o.durability = Durability::kNone;
  auto log = open_log(o);
  CHECK(log->next_deadline(mono_ns()) == INT64_MAX);  // nothing appended, nothing in flight

  append(*log, record(0));
  CHECK(log->next_deadline(mono_ns()) == INT64_MAX);  // a datagram in progress waits for its end
  int64_t before = mono_ns();
  log->end_datagram();
  int64_t after = mono_ns();
  int64_t due = log->next_deadline(after);
  CHECK(due >= before + 20'000'000);
  CHECK(due <= after + 20'000'000);

  log->poll(due - 1);  // not yet: the batch keeps taking datagrams
  CHECK(log->next_deadline(due - 1) == due);
  append(*log, record(1));
  log->end_datagram();
  CHECK(log->next_deadline(due - 1) == due);  // the first datagram's wait counts

  log->poll(due);  // lingered long enough: written; while the write runs, completions are looked for soon
  int64_t next = log->next_deadline(due);
  CHECK((next == due + 1'000'000 || (next == INT64_MAX && log->probe().datagrams_stored.get() == 2)));
  poll_until(*log, [&] { return log->probe().datagrams_stored.get() == 2; });
  CHECK(log->next_deadline(mono_ns()) == INT64_MAX);  // idle again: no wake-ups
  check_records(test::read_back(dir.path()), 0, 2, 0);
  REQUIRE(log->close().ok());
}

TEST_CASE("partition log: with durability interval, unsynced records set the next deadline") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.batch_bytes = 1 << 20;
  o.linger_ms = 0;
  o.sync_interval_ms = 2'000;
  auto log = open_log(o);
  write_records(*log, 0, 3, 3);  // linger 0: the poll after the datagram writes it
  poll_until(*log, [&] { return log->probe().durable_offset.get() == 3; });  // never synced: due at once
  CHECK(log->next_deadline(mono_ns()) == INT64_MAX);
  write_records(*log, 3, 3, 3);
  poll_until(*log, [&] { return log->probe().datagrams_stored.get() == 2; });
  int64_t now = mono_ns();
  int64_t due = log->next_deadline(now);
  CHECK(due > now + 1'000'000'000);  // the interval after the first sync, not sooner
  CHECK(due <= now + 2'000'000'000);
  CHECK(log->probe().durable_offset.get() == 3);
  poll_until(*log, [&] { return log->probe().durable_offset.get() == 6; });
  CHECK(mono_ns() >= due);
  REQUIRE(log->close().ok());
}

TEST_CASE("partition log: flush in the middle of a datagram keeps the datagram whole") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.batch_bytes = 1 << 20;
  auto log = open_log(o);
  append(*log, record(0));
  append(*log, record(1));
  log->end_datagram();
  append(*log, record(2));
  log->flush();  // seals the first datagram; the second carries on in a new batch
  append(*log, record(3));
  log->end_datagram();
  REQUIRE(log->close().ok());
  CHECK(log->probe().datagrams_stored.get() == 2);
  ReadBack back = test::read_back(dir.path());
  check_records(back, 0, 4, 0);
  CHECK(back.batches == std::vector<std::vector<uint64_t>>{{0, 1}, {2, 3}});
}

TEST_CASE("partition log: close keeps a datagram that was never ended") {
  TempDir dir;
  auto log = open_log(options(dir.path()));
  append(*log, record(0));
  append(*log, record(1));
  REQUIRE(log->close().ok());
  check_records(test::read_back(dir.path()), 0, 2, 0);
}

TEST_CASE("partition log: rotation by segment size") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.segment_bytes = 4096;
  auto log = open_log(o);
  write_records(*log, 0, 300);
  REQUIRE(log->close().ok());
  CHECK(log->probe().segments_created.get() > 3);
  std::vector<SegmentFile> segs;
  REQUIRE(list_segments(dir.path(), segs).ok());
  REQUIRE(segs.size() == log->probe().segments_created.get());
  ReadBack back = test::read_back(dir.path());
  check_records(back, 0, 300, 0);
  CHECK(back.segments == segs.size());
  // Each segment is named by the offset of its first record and stays within
  // the size limit (a batch is smaller than a segment here).
  CHECK(segs[0].base_offset == 0);
  for (const SegmentFile& s : segs) {
    CHECK(std::filesystem::file_size(s.path) <= o.segment_bytes);
    bool found = false;
    for (const auto& r : back.records) found |= r.offset == s.base_offset;
    CHECK(found);
  }
  // Reopen: continues in the last segment.
  RecoveryReport report;
  auto again = open_log(o, report);
  CHECK(report.segments == segs.size());
  CHECK(report.next_offset == 300);
  write_records(*again, 300, 10);
  REQUIRE(again->close().ok());
  check_records(test::read_back(dir.path()), 0, 310, 0);
}

TEST_CASE("partition log: durability batch makes each batch durable") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.durability = Durability::kBatch;
  auto log = open_log(o);
  write_records(*log, 0, 60);
  log->flush();
  // The sync is asynchronous: give it real time (up to 10 s on a loaded machine).
  for (int i = 0; i < 10000 && log->probe().durable_offset.get() < 60; ++i) {
    log->poll(mono_ns());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(log->probe().durable_offset.get() == 60);
  CHECK(log->probe().syncs.get() >= 1);
  REQUIRE(log->close().ok());
}

TEST_CASE("partition log: durability interval syncs once the interval passed") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.sync_interval_ms = 50;
  auto log = open_log(o);
  write_records(*log, 0, 30);
  log->flush();
  int64_t start = mono_ns();
  // Simulated clock: the first poll may sync (never synced before); after that
  // the next sync waits for the interval.
  for (int i = 0; i < 10000 && log->probe().durable_offset.get() < 30; ++i) {
    log->poll(start + int64_t{i} * 1'000'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // real time for the async sync
  }
  CHECK(log->probe().durable_offset.get() == 30);
  uint64_t syncs = log->probe().syncs.get();
  write_records(*log, 30, 3);
  log->flush();
  for (int i = 0; i < 100; ++i) log->poll(start + 1);  // no time passes
  CHECK(log->probe().syncs.get() == syncs);
  CHECK(log->probe().durable_offset.get() == 30);
  for (int i = 0; i < 10000 && log->probe().durable_offset.get() < 33; ++i) {
    log->poll(start + 10'000'000'000 + i);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(log->probe().durable_offset.get() == 33);
  REQUIRE(log->close().ok());
}

TEST_CASE("partition log: durability none is durable only after close") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.durability = Durability::kNone;
  auto log = open_log(o);
  write_records(*log, 0, 30);
  log->flush();
  for (int i = 0; i < 1000; ++i) log->poll(mono_ns() + int64_t{i} * 1'000'000'000);
  CHECK(log->probe().durable_offset.get() == 0);
  REQUIRE(log->close().ok());
  CHECK(log->probe().durable_offset.get() == 30);
}

TEST_CASE("partition log: one write in flight still stores everything") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.writes_in_flight = 1;
  o.batch_bytes = 64;
  auto log = open_log(o);
  write_records(*log, 0, 500, 1);
  REQUIRE(log->close().ok());
  CHECK(log->probe().datagrams_stored.get() == 500);
  check_records(test::read_back(dir.path()), 0, 500, 0);
}

TEST_CASE("partition log: missing directory is created") {
  TempDir dir;
  auto log = open_log(options(dir.path() / "data" / "3"));
  write_records(*log, 0, 5);
  REQUIRE(log->close().ok());
  check_records(test::read_back(dir.path() / "data" / "3"), 0, 5, 0);
}

TEST_CASE("partition log: unusable directory is an error, not a crash") {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  RecoveryReport report;
  Status err;
  auto log = PartitionLog::open(options(dir.path() / "file" / "3"), report, err);
  CHECK(log == nullptr);
  CHECK_FALSE(err.ok());
  CHECK(err.message().find("file") != std::string::npos);
}

TEST_CASE("partition log: a record larger than a batch may be is refused") {
  TempDir dir;
  auto log = open_log(options(dir.path()));
  Origin origin;
  std::string huge(kMaxPayloadLength, 'x');
  CHECK_FALSE(log->append_raw(origin, huge));
  write_records(*log, 0, 3);
  REQUIRE(log->close().ok());
  check_records(test::read_back(dir.path()), 0, 3, 0);
}

TEST_CASE("partition log: appends after close are refused") {
  TempDir dir;
  auto log = open_log(options(dir.path()));
  REQUIRE(log->close().ok());
  auto v = record(0).views();
  CHECK_FALSE(log->append_point(v.origin, v.point));
  CHECK(log->close().ok());
}

TEST_CASE("recovery: truncated segment header recreates the segment") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.segment_bytes = 2048;
  {
    auto log = open_log(o);
    write_records(*log, 0, 100);
    REQUIRE(log->close().ok());
  }
  auto seg = test::last_segment(dir.path());
  uint64_t base = *parse_segment_file_name(seg.filename().string());
  REQUIRE(base > 0);
  // Keep only part of the last segment's header, as after a crash right after
  // the file was created.
  auto bytes = test::read_bytes(seg);
  bytes.resize(20);
  test::write_bytes(seg, bytes);
  RecoveryReport report;
  auto log = open_log(o, report);
  CHECK(report.next_offset == base);
  CHECK(report.truncated_bytes == 20);
  CHECK(report.detail.find("truncated segment header") != std::string::npos);
  write_records(*log, 1000, 5);
  REQUIRE(log->close().ok());
  ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  REQUIRE(back.records.size() == base + 5);
  for (uint64_t i = 0; i < base; ++i) CHECK(back.records[i].same_content(record(i)));
  for (uint64_t i = 0; i < 5; ++i) {
    CHECK(back.records[base + i].offset == base + i);
    CHECK(back.records[base + i].same_content(record(1000 + i)));
  }
}

TEST_CASE("recovery: empty segment file is recreated") {
  TempDir dir;
  test::write_bytes(dir.path() / segment_file_name(0), {});
  RecoveryReport report;
  auto log = open_log(options(dir.path()), report);
  CHECK(report.next_offset == 0);
  CHECK_FALSE(report.detail.empty());
  write_records(*log, 0, 5);
  REQUIRE(log->close().ok());
  check_records(test::read_back(dir.path()), 0, 5, 0);
}

}  // namespace
}  // namespace ringest
