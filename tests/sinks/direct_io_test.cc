// The log with direct I/O: every write is whole aligned blocks from aligned
// memory (CrashFileIo refuses anything else, as a device does), the partial
// last block is written again as it fills, a live segment reads clean up to
// its padding, a padded segment is continued after a kill, a failed write is
// cut back, and a file system that refuses direct I/O gets the page cache.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "crash_file_io.h"
#include "partition_log_helpers.h"
#include "sinks/partition_log_internal.h"
#include "sinks/segment_reader.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::CrashFileIo;
using test::DiskModel;

LogOptions direct_options(const std::filesystem::path& dir) {
  LogOptions o = test::plog::options(dir);
  o.direct_io = true;
  o.preallocate = false;
  return o;
}

std::unique_ptr<PartitionLog> open_over(DiskModel& m, const LogOptions& o, RecoveryReport& report) {
  Status err;
  auto log = open_partition_log(o, report, err, std::make_unique<CrashFileIo>(m));
  REQUIRE_MESSAGE(log, err.message());
  return log;
}

// What a reader finds in one segment file as it is now.
struct SegmentScan {
  uint64_t size = 0;
  uint64_t records = 0;
  uint64_t valid_end = 0;
  bool padded = false;
  bool damaged = false;
};

SegmentScan scan(const std::filesystem::path& file) {
  std::vector<uint8_t> bytes = test::read_bytes(file);
  SegmentScan s;
  s.size = bytes.size();
  SegmentReader reader(bytes, nullptr);
  SegmentHeader h;
  REQUIRE(reader.read_header(h));
  BatchView b;
  while (reader.next_batch(b)) s.records += b.header.record_count;
  s.valid_end = reader.valid_end();
  s.padded = reader.padded();
  s.damaged = reader.damaged() || reader.torn();
  return s;
}

void check_records(const std::filesystem::path& dir, uint64_t count) {
  test::ReadBack back = test::read_back(dir);
  CHECK(back.damage.empty());
  REQUIRE(back.records.size() == count);
  for (uint64_t n = 0; n < count; ++n) {
    CHECK(back.records[n].offset == n);
    CHECK(back.records[n].same_content(test::plog::record(n)));
  }
}

TEST_CASE("direct I/O: batches go out as whole blocks, a live segment reads clean, a closed one ends at its data") {
  test::TempDir dir;
  DiskModel m(dir.path());
  RecoveryReport report;
  auto log = open_over(m, direct_options(dir.path()), report);
  CHECK(log->write_path().rfind("direct I/O, ", 0) == 0);

  // Batches of ~1 KiB: most writes start and end inside a block, so the tail
  // block is written again and again as it fills.
  test::plog::write_records(*log, 0, 600, 3);
  log->flush();
  log->poll(mono_ns());
  REQUIRE(log->probe().records_written.get() == 600);
  CHECK(m.direct_writes > 10);

  SegmentScan live = scan(test::last_segment(dir.path()));
  CHECK(live.size % kDirectAlign == 0);
  CHECK(live.padded);
  CHECK_FALSE(live.damaged);
  CHECK(live.records == 600);
  CHECK(live.size - live.valid_end < kDirectAlign);

  REQUIRE(log->close().ok());
  SegmentScan closed = scan(test::last_segment(dir.path()));
  CHECK(closed.size == live.valid_end);
  CHECK_FALSE(closed.padded);
  CHECK_FALSE(closed.damaged);
  check_records(dir.path(), 600);
}

TEST_CASE("direct I/O: rotation and compression keep every write aligned") {
  test::TempDir dir;
  DiskModel m(dir.path());
  LogOptions o = direct_options(dir.path());
  o.segment_bytes = 20000;  // not a multiple of a block
  o.compression = Compression::kZstd;
  RecoveryReport report;
  auto log = open_over(m, o, report);
  test::plog::write_records(*log, 0, 2000, 4);
  REQUIRE(log->close().ok());
  CHECK(log->probe().segments_created.get() >= 3);
  CHECK(log->probe().dropped_sink_error.get() == 0);
  check_records(dir.path(), 2000);
}

TEST_CASE("direct I/O: after a kill the padded segment is continued after its last batch, nothing cut") {
  test::TempDir dir;
  DiskModel m(dir.path());
  for (bool direct_after : {true, false}) {
    CAPTURE(direct_after);
    std::filesystem::remove_all(dir.path());
    m.restore();
    {
      RecoveryReport report;
      auto log = open_over(m, direct_options(dir.path()), report);
      test::plog::write_records(*log, 0, 100, 3);
      log->flush();
      log->poll(mono_ns());
      REQUIRE(log->probe().records_written.get() == 100);
      // Gone without close(), as after kill -9: the padding stays on disk.
    }
    SegmentScan killed = scan(test::last_segment(dir.path()));
    REQUIRE(killed.padded);
    REQUIRE(killed.size % kDirectAlign == 0);

    LogOptions o = direct_options(dir.path());
    o.direct_io = direct_after;
    RecoveryReport report;
    auto log = open_over(m, o, report);
    CHECK(report.truncated_bytes == 0);
    CHECK(report.detail.empty());
    CHECK(report.next_offset == 100);
    test::plog::write_records(*log, 100, 150, 3);
    REQUIRE(log->close().ok());
    check_records(dir.path(), 250);
    CHECK(scan(test::last_segment(dir.path())).records == 250);
  }
}

TEST_CASE("direct I/O: a failed write is cut back and the batches after it land whole") {
  test::TempDir dir;
  DiskModel m(dir.path());
  RecoveryReport report;
  auto log = open_over(m, direct_options(dir.path()), report);
  test::plog::write_records(*log, 0, 200, 3);
  log->flush();
  log->poll(mono_ns());
  m.no_space = true;
  test::plog::write_records(*log, 200, 90, 3);
  log->flush();
  log->poll(mono_ns());
  CHECK(log->probe().write_failing.get() == kDiskFull);
  CHECK(log->last_write_error().find("injected") != std::string::npos);
  m.no_space = false;
  const uint64_t dropped = log->probe().dropped_disk_full.get();
  CHECK(dropped == 30);  // the 90 records' datagrams
  test::plog::write_records(*log, 290, 210, 3);
  CHECK(log->probe().write_failing.get() == kWriting);
  REQUIRE(log->close().ok());

  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  REQUIRE(back.records.size() == 410);
  for (size_t i = 0; i < back.records.size(); ++i) {
    uint64_t n = i < 200 ? i : i + 90;  // the dropped offsets are not reused
    CHECK(back.records[i].offset == n);
    CHECK(back.records[i].same_content(test::plog::record(n)));
  }
}

TEST_CASE("direct I/O: a file system that refuses it gets the page cache, and the log says why") {
  struct Case {
    bool refuse_open;
    const char* why;
  };
  for (Case c : {Case{true, "open with O_DIRECT"}, Case{false, "a write with O_DIRECT"}}) {
    CAPTURE(c.why);
    test::TempDir dir;
    DiskModel m(dir.path());
    m.refuse_direct = c.refuse_open;
    m.refuse_direct_writes = !c.refuse_open;
    RecoveryReport report;
    auto log = open_over(m, direct_options(dir.path()), report);
    const std::string path = log->write_path();
    CHECK(path.rfind(std::string("page cache (direct I/O refused: ") + c.why, 0) == 0);
    CHECK(path.find("(refused)") != std::string::npos);  // the file system's own words
    test::plog::write_records(*log, 0, 300, 3);
    REQUIRE(log->close().ok());
    CHECK(m.direct_writes == 0);
    // One segment, not a second one left behind by the refused open or probe.
    std::vector<SegmentFile> segs;
    REQUIRE(list_segments(dir.path(), segs).ok());
    CHECK(segs.size() == 1);
    check_records(dir.path(), 300);

    // Reopened: refused again at recovery, with the same fallback.
    RecoveryReport again;
    auto reopened = open_over(m, direct_options(dir.path()), again);
    CHECK(reopened->write_path().rfind("page cache (direct I/O refused: ", 0) == 0);
    test::plog::write_records(*reopened, 300, 30, 3);
    REQUIRE(reopened->close().ok());
    check_records(dir.path(), 330);
  }
}

TEST_CASE("direct I/O: off in the options, the page cache is used and says so") {
  test::TempDir dir;
  DiskModel m(dir.path());
  LogOptions o = direct_options(dir.path());
  o.direct_io = false;
  RecoveryReport report;
  auto log = open_over(m, o, report);
  CHECK(log->write_path() == "page cache (off in the configuration), crash test double");
  test::plog::write_records(*log, 0, 50, 3);
  REQUIRE(log->close().ok());
  CHECK(m.direct_writes == 0);
  check_records(dir.path(), 50);
}

TEST_CASE("direct I/O: the platform's file layer writes from registered buffers, and a reader follows the live segment") {
  test::TempDir dir;
  LogOptions o = direct_options(dir.path());
  RecoveryReport report;
  Status err;
  auto log = PartitionLog::open(o, report, err);
  REQUIRE_MESSAGE(log, err.message());
  // The test directory is on a file system with O_DIRECT (ext4 here); the
  // batch buffers fit the default locked-memory limit.
  CHECK(log->write_path() == "direct I/O, io_uring, registered buffers");
  for (uint64_t round = 0; round < 5; ++round) {
    test::plog::write_records(*log, round * 100, 100, 3);
    log->flush();
    // The writes complete asynchronously: poll as a shard would, bounded.
    for (int i = 0; i < 2000 && log->probe().records_written.get() < (round + 1) * 100; ++i) {
      log->poll(mono_ns());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(log->probe().records_written.get() == (round + 1) * 100);
    SegmentScan live = scan(test::last_segment(dir.path()));
    CHECK(live.records == (round + 1) * 100);
    CHECK_FALSE(live.damaged);
    CHECK(live.size % kDirectAlign == 0);
  }
  REQUIRE(log->close().ok());
  check_records(dir.path(), 500);
}

}  // namespace
}  // namespace ringest
