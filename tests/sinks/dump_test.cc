// ringest-dump end to end: output shape, --count, --verify and exit codes.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "sinks/coding.h"
#include "sinks/partition_log.h"
#include "sinks/segment_format.h"
#include "partition_log_helpers.h"
#include "test_util.h"

namespace ringest {
namespace {

struct Run {
  int rc = -1;
  std::string out;
};

// Runs ringest-dump with `args`; stdout captured, stderr to `err_file`.
Run dump(const std::string& args, const std::filesystem::path& err_file) {
  std::string cmd = std::string(RINGEST_DUMP_EXE) + " " + args + " 2>" + err_file.string();
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void make_partition(const std::filesystem::path& dir, uint32_t partition, int points, uint32_t batch_bytes = 0) {
  LogOptions o;
  o.dir = dir / std::to_string(partition);
  o.partition = partition;
  if (batch_bytes > 0) o.batch_bytes = batch_bytes;  // 1: one batch per datagram
  RecoveryReport report;
  Status err;
  auto log = PartitionLog::open(o, report, err);
  REQUIRE(log != nullptr);
  for (int i = 0; i < points; ++i) {
    test::plog::append(*log, test::sample_point(static_cast<uint64_t>(i)));
    log->end_datagram();
  }
  test::plog::append(*log, test::sample_raw(1));
  log->end_datagram();
  REQUIRE(log->close().ok());
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_CASE("ringest-dump: records, counts, verify and exit codes") {
  test::TempDir dir;
  make_partition(dir.path(), 0, 3);
  make_partition(dir.path(), 2, 1);
  std::filesystem::path err = dir.path() / "stderr";
  std::string d = dir.path().string();

  Run all = dump(d, err);
  CHECK(all.rc == 0);
  CHECK(lines(all.out) == 6);
  CHECK(all.out.rfind("{\"partition\":0,\"offset\":0,\"measurement\":\"cpu.load.0\",\"tags\":[[\"a\",", 0) ==
        0);
  CHECK(all.out.find("{\"partition\":2,\"offset\":1,\"raw\":\"garbage line 1 \xef\xbf\xbd\\u0000\"") !=
        std::string::npos);  // 0xfe is not UTF-8: U+FFFD
  CHECK(all.out.find("{\"key\":\"count\",\"type\":\"int\",\"value\":\"-1000000007\"}") != std::string::npos);

  Run count = dump("--count " + d, err);
  CHECK(count.rc == 0);
  CHECK(count.out == "{\"partitions\":{\"0\":4,\"2\":2},\"total\":6}\n");

  Run verify = dump("--verify " + d, err);
  CHECK(verify.rc == 0);
  CHECK(verify.out.find("\"ok\":true") != std::string::npos);

  Run one = dump("--count " + (dir.path() / "2").string(), err);
  CHECK(one.out == "{\"partitions\":{\"2\":2},\"total\":2}\n");

  CHECK(dump("", err).rc == 2);
  CHECK(dump("--bogus " + d, err).rc == 2);
  CHECK(dump((dir.path() / "missing").string(), err).rc == 2);

  // Damage: a flipped byte in partition 0's only batch (all four records).
  auto seg = test::last_segment(dir.path() / "0");
  auto bytes = test::read_bytes(seg);
  bytes[bytes.size() - 2] ^= 0x01;
  test::write_bytes(seg, bytes);
  Run damaged = dump(d, err);
  CHECK(damaged.rc == 1);
  CHECK(lines(damaged.out) == 2);  // only partition 2: no record of a damaged batch
  std::vector<uint8_t> err_bytes = test::read_bytes(err);
  std::string msg(err_bytes.begin(), err_bytes.end());
  CHECK(msg.find(seg.filename().string()) != std::string::npos);
  CHECK(msg.find("damage at byte") != std::string::npos);
  CHECK(dump("--verify " + d, err).rc == 1);
}

TEST_CASE("ringest-dump: a damaged batch in the middle costs that batch only, and verify keeps reporting it") {
  test::TempDir dir;
  make_partition(dir.path(), 0, 5, 1);  // six batches of one record: offsets 0..5
  std::filesystem::path err = dir.path() / "stderr";
  std::string d = dir.path().string();
  auto seg = test::last_segment(dir.path() / "0");
  auto bytes = test::read_bytes(seg);
  uint64_t third = segfmt::kSegmentHeaderSize;
  for (int i = 0; i < 2; ++i) third += coding::get_u32(&bytes[third]);
  bytes[third + segfmt::kBatchHeaderSize + 4] ^= 0x20;
  test::write_bytes(seg, bytes);
  Run print = dump(d, err);
  CHECK(print.rc == 1);
  CHECK(lines(print.out) == 5);  // offsets 0, 1, 3, 4, 5
  CHECK(print.out.find("\"offset\":2,") == std::string::npos);
  CHECK(print.out.find("\"offset\":5,") != std::string::npos);
  Run verify = dump("verify " + d, err);
  CHECK(verify.rc == 1);
  CHECK(verify.out.find("\"ok\":false") != std::string::npos);
  Run list = dump("list " + d, err);
  CHECK(list.out.find("\"state\":\"damaged\"") != std::string::npos);
}

}  // namespace
}  // namespace ringest

namespace ringest {
namespace {

TEST_CASE("ringest-dump: the committed segments of every format print as their expected.jsonl holds them") {
  test::TempDir dir;
  const std::filesystem::path vectors(RINGEST_VECTORS_DIR);
  // Formats 1 and 2 hold the same records; format 3's hold metrics too.
  for (const char* version : {"segment-v1", "segment-v2", "segment-v3"}) {
    INFO(version);
    const char* printed = std::string_view(version) == "segment-v2" ? "segment-v1" : version;
    std::vector<uint8_t> expected = test::read_bytes(vectors / printed / "expected.jsonl");
    Run r = dump("--origin " + (vectors / version).string(), dir.path() / "err");
    CHECK(r.rc == 0);
    CHECK(r.out == std::string(expected.begin(), expected.end()));
    Run v = dump("--verify " + (vectors / version).string(), dir.path() / "err");
    CHECK(v.rc == 0);
    CHECK(v.out.find("\"records\":600,\"damage\":0") != std::string::npos);
  }
}

}  // namespace
}  // namespace ringest
