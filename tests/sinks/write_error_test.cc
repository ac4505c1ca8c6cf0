// PartitionLog over a file layer that completes writes out of order and fails
// chosen ones: the hole a failed write leaves is cut away, the batches that
// completed behind it are written again, and every datagram is stored or
// counted as dropped exactly once.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "sinks/file_layer.h"
#include "sinks/partition_log_internal.h"
#include "partition_log_helpers.h"
#include "test_util.h"

namespace ringest {
namespace {

// Holds submitted operations until reaped, then runs them newest first (so a
// later batch lands before an earlier one), failing the writes whose
// submission numbers are in `fail`.
class ReorderingFileIo final : public FileIo {
 public:
  ReorderingFileIo(std::set<int> fail, bool no_space) : fail_(std::move(fail)), no_space_(no_space) {}

  const char* backend() const override { return "reordering test double"; }

  Status submit_write(FileHandle f, uint64_t pos, const uint8_t* data, size_t len, uint64_t tag) override {
    pending_.push_back(Op{IoOp::kWrite, f, pos, data, len, tag, writes_++});
    return Status();
  }
  Status submit_datasync(FileHandle f, uint64_t tag) override {
    pending_.push_back(Op{IoOp::kDatasync, f, 0, nullptr, 0, tag, -1});
    return Status();
  }

  size_t reap(std::span<IoCompletion> out, bool /*wait*/) override {
    size_t n = 0;
    // Writes newest first; a sync only after every write before it (IO_DRAIN).
    while (n < out.size() && !pending_.empty()) {
      auto it =
          std::find_if(pending_.rbegin(), pending_.rend(), [](const Op& o) { return o.op == IoOp::kWrite; });
      if (it == pending_.rend() && hold_syncs) break;  // a slow disk: the sync is still running
      Op op = it != pending_.rend() ? *it : pending_.front();
      pending_.erase(it != pending_.rend() ? std::next(it).base() : pending_.begin());
      IoCompletion& c = out[n++];
      c = IoCompletion{};
      c.tag = op.tag;
      c.op = op.op;
      if (op.op == IoOp::kDatasync) {
        c.status = datasync_file(op.file);
      } else if (fail_.count(op.number)) {
        c.status = Status::from_errno(no_space_ ? 28 : 5, "write segment (injected)");
        c.no_space = no_space_;
        ++failed_;
      } else {
        c.status = write_file_at(op.file, op.pos, {op.data, op.len});
      }
    }
    return n;
  }

  uint32_t outstanding() const override { return static_cast<uint32_t>(pending_.size()); }

  bool hold_syncs = false;  // leave syncs running until it is cleared
  int failed() const { return failed_; }
  int writes() const { return writes_; }

 private:
  struct Op {
    IoOp op;
    FileHandle file;
    uint64_t pos;
    const uint8_t* data;
    size_t len;
    uint64_t tag;
    int number;  // submission number among writes
  };
  std::set<int> fail_;
  bool no_space_;
  std::vector<Op> pending_;
  int writes_ = 0;
  int failed_ = 0;
};

// 20 datagrams of 2 records, one batch each, no polling until the pool runs dry.
// A log in `dir` over `io`, one batch per datagram.
std::unique_ptr<PartitionLog> open_over(LogOptions& o, const std::filesystem::path& dir,
                                        std::unique_ptr<ReorderingFileIo> io) {
  o.dir = dir;
  o.batch_bytes = 1;
  RecoveryReport report;
  Status err;
  auto log = open_partition_log(o, report, err, std::move(io));
  REQUIRE(log != nullptr);
  return log;
}

// With direct I/O, writes that share a block go one at a time, so nothing
// completes out of order behind a failure and `expect_writes` is not checked.
void run_mode(std::set<int> fail, bool no_space, uint64_t expect_dropped, int expect_writes, bool direct) {
  CAPTURE(direct);
  test::TempDir dir;
  LogOptions o;
  o.direct_io = direct;
  o.writes_in_flight = 3;
  o.durability = Durability::kBatch;
  auto io = std::make_unique<ReorderingFileIo>(fail, no_space);
  ReorderingFileIo* raw_io = io.get();
  auto log = open_over(o, dir.path(), std::move(io));
  std::vector<uint64_t> offsets;
  for (uint64_t n = 0; n < 40; ++n) {
    test::plog::append(*log, test::sample_point(n));
    if (n % 2 == 1) log->end_datagram();
  }
  log->close();  // an error here only repeats what the counters say
  const LogProbe& p = log->probe();
  CHECK(raw_io->failed() == static_cast<int>(fail.size()));
  if (expect_writes && !direct) CHECK(raw_io->writes() == expect_writes);
  CHECK((no_space ? p.dropped_disk_full : p.dropped_sink_error).get() == expect_dropped);
  CHECK(p.datagrams_stored.get() + expect_dropped == 20);
  CHECK(p.records_written.get() == 40 - 2 * expect_dropped);
  CHECK(p.durable_offset.get() == 40);
  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  REQUIRE(back.records.size() == p.records_written.get());
  uint64_t last = 0;
  for (size_t i = 0; i < back.records.size(); ++i) {
    const test::OwnedRecord& r = back.records[i];
    CHECK(r.same_content(test::sample_point(r.offset)));
    if (i) CHECK(r.offset > last);
    last = r.offset;
  }
  // Reopen: nothing to cut, the next offset follows the last batch.
  RecoveryReport again_report;
  Status err;
  auto again = PartitionLog::open(o, again_report, err);
  REQUIRE(again != nullptr);
  CHECK(again_report.detail.empty());
  CHECK(again_report.next_offset == 40);
  CHECK(again->close().ok());
}

void run(std::set<int> fail, bool no_space, uint64_t expect_dropped, int expect_writes = 0) {
  run_mode(fail, no_space, expect_dropped, expect_writes, false);
  run_mode(fail, no_space, expect_dropped, expect_writes, true);
}

TEST_CASE("write errors: a failed write with later writes completed behind it") {
  // Three batches in flight complete newest first; the second fails. The third
  // landed behind the hole and is written again: 20 + 1 writes.
  run({1}, false, 1, 21);
}

TEST_CASE("write errors: disk full is counted as disk full") {
  run({4}, true, 1);
}

TEST_CASE("write errors: several failures, one right after another") {
  run({0, 1, 5, 9}, false, 4);
}

TEST_CASE("write errors: the rewrite of a moved batch fails too") {
  // Submission 1 fails; 0 and 2 completed, 2 is rewritten as submission 3,
  // which fails as well.
  run({1, 3}, true, 2);
}

// A sync slower than sync_interval_ms, with more writes completing meanwhile:
// the log's next deadline is when to look for completions, never a past sync
// time (a shard would spin on it at full CPU until the disk answered).
TEST_CASE("write errors: a slow interval sync never leaves the next deadline in the past") {
  test::TempDir dir;
  LogOptions o;
  o.direct_io = false;  // several writes in flight at once
  o.linger_ms = 0;
  o.durability = Durability::kInterval;
  o.sync_interval_ms = 10;
  auto io = std::make_unique<ReorderingFileIo>(std::set<int>{}, false);
  ReorderingFileIo* raw_io = io.get();
  raw_io->hold_syncs = true;
  auto log = open_over(o, dir.path(), std::move(io));
  int64_t now = 1'000'000'000'000;
  auto datagram = [&](uint64_t n) {
    test::plog::append(*log, test::sample_point(n));
    log->end_datagram();
  };
  datagram(0);
  log->poll(now);       // written (submitted)
  log->poll(now + 1);   // the write completes; the first sync starts and stays running
  REQUIRE(raw_io->outstanding() == 1);
  datagram(1);
  now += 1'000'000'000;  // long past the interval
  log->poll(now);        // a second write, completed behind the running sync
  log->poll(now + 1);
  CHECK(log->next_deadline(now + 1) >= now + 1);
  CHECK(log->next_deadline(now + 1) <= now + 1 + 1'000'000);  // completions are looked for soon
  CHECK(log->probe().durable_offset.get() == 0);
  raw_io->hold_syncs = false;
  REQUIRE(log->close().ok());
  CHECK(log->probe().durable_offset.get() == 2);
}

}  // namespace
}  // namespace ringest
