// A failed fdatasync and a full disk, injected through CrashFileIo: what the
// log counts, what it keeps on disk, and how it goes on.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include "common/clock.h"
#include "crash_file_io.h"
#include "sinks/partition_log_internal.h"
#include "partition_log_helpers.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::CrashFileIo;
using test::DiskModel;

LogOptions small(const std::filesystem::path& dir) {
  LogOptions o;
  o.dir = dir;
  o.batch_bytes = 1;  // one datagram per batch
  o.writes_in_flight = 2;
  o.durability = Durability::kBatch;
  return o;
}

std::unique_ptr<PartitionLog> open_over(DiskModel& m, const LogOptions& o) {
  RecoveryReport report;
  Status err;
  auto log = open_partition_log(o, report, err, std::make_unique<CrashFileIo>(m));
  INFO(err.message());
  REQUIRE(log != nullptr);
  return log;
}

// Datagram n: one record, sample_point(n).
void send(PartitionLog& log, uint64_t n) {
  test::plog::append(log, test::sample_point(n));
  log.end_datagram();
  // With one datagram per batch and durability "batch", the batch is written
  // by the first poll and its sync reaped by the next.
  for (int i = 0; i < 3; ++i) log.poll(mono_ns());
}

TEST_CASE("fsync failure: the segment is sealed as suspect, a new one started, the watermark held") {
  test::TempDir dir;
  DiskModel m(dir.path());
  auto log = open_over(m, small(dir.path()));
  for (uint64_t n = 0; n < 5; ++n) send(*log, n);
  const LogProbe& p = log->probe();
  CHECK(p.durable_offset.get() == 5);
  m.fail_datasync = {m.datasyncs + 1};  // the next one
  send(*log, 5);
  CHECK(p.sync_errors.get() == 1);
  CHECK(p.segments_suspect.get() == 1);
  uint64_t held = p.durable_offset.get();
  CHECK(held == 5);
  // Later syncs succeed, into a new segment, but prove nothing about offset 5.
  for (uint64_t n = 6; n < 12; ++n) send(*log, n);
  CHECK(p.syncs.get() > 6);
  CHECK(p.durable_offset.get() == held);
  CHECK(p.segments_created.get() == 2);
  CHECK(std::filesystem::exists(dir.path() / "00000000000000000000.suspect"));
  log->close();
  CHECK(p.durable_offset.get() == held);
  // Everything written is still read back; the new segment starts at offset 6.
  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  CHECK(back.records.size() == 12);
  CHECK(back.segments == 2);
  CHECK(std::filesystem::exists(dir.path() / "00000000000000000006.seg"));
}

TEST_CASE("disk full: counted as disk_full, no partial batch, appends resume as soon as space returns") {
  test::TempDir dir;
  DiskModel m(dir.path());
  auto log = open_over(m, small(dir.path()));
  const LogProbe& p = log->probe();
  for (uint64_t n = 0; n < 10; ++n) send(*log, n);
  m.no_space = true;
  for (uint64_t n = 10; n < 30; ++n) send(*log, n);
  log->flush();
  log->poll(mono_ns());
  CHECK(p.dropped_disk_full.get() > 0);
  CHECK(p.dropped_sink_error.get() == 0);
  m.no_space = false;
  auto back_at = std::chrono::steady_clock::now();
  uint64_t stored_before = p.datagrams_stored.get();
  send(*log, 30);
  log->flush();
  log->poll(mono_ns());
  // The first datagram after space returns is stored: no restart, no waiting.
  CHECK(p.datagrams_stored.get() == stored_before + 1);
  CHECK(std::chrono::steady_clock::now() - back_at < std::chrono::seconds(1));
  for (uint64_t n = 31; n < 40; ++n) send(*log, n);
  CHECK(log->close().ok());
  CHECK(p.datagrams_stored.get() + p.dropped_disk_full.get() == 40);
  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());  // nothing half-written was left behind
  CHECK(back.records.size() == p.datagrams_stored.get());
  for (const test::OwnedRecord& r : back.records) {
    // Offsets of dropped batches are not reused, so each record is the one appended there.
    CHECK(r.same_content(test::sample_point(r.offset)));
  }
  CHECK(back.records.back().offset == 39);
}

TEST_CASE("disk full while a new segment is created: counted as disk_full, and the log goes on") {
  test::TempDir dir;
  DiskModel m(dir.path());
  LogOptions o = small(dir.path());
  o.segment_bytes = 600;  // a couple of batches per segment
  auto log = open_over(m, o);
  const LogProbe& p = log->probe();
  for (uint64_t n = 0; n < 6; ++n) send(*log, n);
  m.no_space = true;
  for (uint64_t n = 6; n < 20; ++n) send(*log, n);
  m.no_space = false;
  for (uint64_t n = 20; n < 30; ++n) send(*log, n);
  CHECK(log->close().ok());
  CHECK(p.dropped_sink_error.get() == 0);
  CHECK(p.datagrams_stored.get() + p.dropped_disk_full.get() == 30);
  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  CHECK(back.records.size() == p.datagrams_stored.get());
  CHECK(back.records.back().offset == 29);
}

}  // namespace
}  // namespace ringest
