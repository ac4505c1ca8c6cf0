// PartitionLog write errors on Linux: a file size limit that makes writes
// fail at a known byte, and /dev/full's ENOSPC.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <string>
#include <vector>

#include "partition_log_helpers.h"
#include "sinks/file_layer.h"
#include "sinks/linux/posix_file.h"

namespace ringest {
namespace {

using test::open_log;
using test::OwnedRecord;
using test::ReadBack;
using test::TempDir;
using namespace test::plog;

// ---- Write errors ------------------------------------------------------------

// RLIMIT_FSIZE makes writes past a size fail (EFBIG) for this process, io_uring
// workers included: a disk that fills up at a known byte.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t limit) {
    ::signal(SIGXFSZ, SIG_IGN);
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
    set(limit);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &old_); }
  void set(rlim_t limit) {
    rlimit r = old_;
    r.rlim_cur = limit;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &r) == 0);
  }
  void lift() { REQUIRE(::setrlimit(RLIMIT_FSIZE, &old_) == 0); }

 private:
  rlimit old_{};
};

TEST_CASE("partition log: failed writes are counted and cut away, and the log goes on") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.batch_bytes = 256;
  o.writes_in_flight = 4;
  auto log = open_log(o);
  uint64_t datagrams = 0;
  {
    FileSizeLimit limit(8192);
    for (uint64_t n = 0; n < 150; n += 3) {
      write_records(*log, n, 3);
      ++datagrams;
    }
    log->flush();
    for (int i = 0; i < 100; ++i) log->poll(mono_ns());
    limit.lift();
    for (uint64_t n = 150; n < 180; n += 3) {
      write_records(*log, n, 3);
      ++datagrams;
    }
  }
  REQUIRE(log->close().ok());  // the drops were before close
  const LogProbe& p = log->probe();
  CHECK(p.dropped_sink_error.get() > 0);
  CHECK(p.dropped_disk_full.get() == 0);  // EFBIG is not "disk full"
  // Every datagram is stored or counted as dropped, exactly once.
  CHECK(p.datagrams_stored.get() + p.dropped_sink_error.get() == datagrams);
  ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  CHECK(back.records.size() == p.records_written.get());
  uint64_t last = 0;
  for (size_t i = 0; i < back.records.size(); ++i) {
    const OwnedRecord& r = back.records[i];
    CHECK(r.same_content(record(r.offset)));  // offsets keep their records
    if (i) CHECK(r.offset > last);
    last = r.offset;
  }
  // Written after the limit was lifted: all of them.
  CHECK(back.records.back().offset == 179);
  // Reopen finds nothing to cut.
  RecoveryReport report;
  auto again = open_log(o, report);
  CHECK(report.detail.empty());
  CHECK(report.next_offset == 180);
  REQUIRE(again->close().ok());
}

// ---- File layer ----------------------------------------------------------------

void exercise_file_io(FileIo& io, const std::filesystem::path& path) {
  FileHandle f;
  REQUIRE(open_file(path, OpenMode::kCreateNew, f).ok());
  std::vector<std::vector<uint8_t>> bufs;
  for (int i = 0; i < 3; ++i) bufs.emplace_back(1000, static_cast<uint8_t>('a' + i));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(io.submit_write(f, static_cast<uint64_t>(i) * 1000, bufs[i].data(), 1000, 10 + i).ok());
  }
  REQUIRE(io.submit_datasync(f, 99).ok());
  std::vector<uint64_t> tags;
  IoCompletion done[8];
  while (io.outstanding() > 0) {
    size_t n = io.reap(done, true);
    for (size_t i = 0; i < n; ++i) {
      CHECK(done[i].status.ok());
      tags.push_back(done[i].tag);
    }
  }
  std::sort(tags.begin(), tags.end());
  CHECK(tags == std::vector<uint64_t>{10, 11, 12, 99});
  CHECK(close_file(f).ok());
  auto bytes = test::read_bytes(path);
  REQUIRE(bytes.size() == 3000);
  CHECK(bytes[0] == 'a');
  CHECK(bytes[1500] == 'b');
  CHECK(bytes[2999] == 'c');
  // Disk full, for real: /dev/full answers every write with ENOSPC.
  FileHandle full;
  if (open_file("/dev/full", OpenMode::kReadWrite, full).ok()) {
    REQUIRE(io.submit_write(full, 0, bufs[0].data(), 100, 7).ok());
    size_t n = 0;
    while (n == 0) n = io.reap(done, true);
    CHECK(done[0].tag == 7);
    CHECK_FALSE(done[0].status.ok());
    CHECK(done[0].no_space);
    close_file(full);
  }
}

TEST_CASE("file layer: the default backend writes, syncs and reports disk full") {
  TempDir dir;
  auto io = FileIo::create(8);
  MESSAGE("file layer backend: " << std::string(io->backend()));
  exercise_file_io(*io, dir.path() / "f");
}

TEST_CASE("file layer: the blocking fallback behaves the same") {
  TempDir dir;
  auto io = linux_io::make_blocking_file_io();
  CHECK(std::string(io->backend()) == "pwrite");
  exercise_file_io(*io, dir.path() / "f");
}

}  // namespace
}  // namespace ringest
