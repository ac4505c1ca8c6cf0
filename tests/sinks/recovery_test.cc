// Recovery from damage made on purpose, one case per edge (leveldb's
// log_test.cc style): a flipped byte in the first, a middle and the last batch
// of the active segment and of a sealed one, with and without its index; a
// torn tail; a zeroed tail; a flipped length bit. Each asserts exactly which
// records survive, what recovery cut, and which offset the next append gets:
// a damaged batch costs that batch only, a sealed segment is never cut, and no
// offset is handed out twice.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "partition_log_helpers.h"
#include "sinks/coding.h"
#include "sinks/partition_log.h"
#include "sinks/segment_format.h"
#include "sinks/segment_index.h"
#include "test_util.h"

namespace ringest {
namespace {

using namespace segfmt;
using test::open_log;
using test::ReadBack;
using test::TempDir;
using namespace test::plog;

constexpr uint64_t kPerBatch = 4;

// Writes `batches` batches of 4 records (offsets 4i..4i+3, one datagram each)
// into one segment and closes; returns where each batch starts in the file.
std::vector<uint64_t> write_batches(const std::filesystem::path& dir, int batches) {
  LogOptions o = options(dir);
  o.batch_bytes = 1;
  auto log = open_log(o);
  write_records(*log, 0, static_cast<uint64_t>(batches) * kPerBatch, kPerBatch);
  REQUIRE(log->close().ok());
  std::vector<uint8_t> bytes = test::read_bytes(test::last_segment(dir));
  std::vector<uint64_t> starts;
  for (uint64_t pos = kSegmentHeaderSize; pos < bytes.size(); pos += coding::get_u32(&bytes[pos])) {
    starts.push_back(pos);
  }
  REQUIRE(starts.size() == static_cast<size_t>(batches));
  return starts;
}

// Offsets [from, to) without the batches listed.
std::vector<uint64_t> offsets(uint64_t from, uint64_t to, std::set<uint64_t> lost_batches = {}) {
  std::vector<uint64_t> out;
  for (uint64_t o = from; o < to; ++o) {
    if (!lost_batches.count(o / kPerBatch)) out.push_back(o);
  }
  return out;
}

// The records read back are exactly those at `survive`, each with the
// content appended there.
void check_survivors(const ReadBack& back, const std::vector<uint64_t>& survive) {
  std::vector<uint64_t> got;
  for (const auto& r : back.records) {
    got.push_back(r.offset);
    CHECK(r.same_content(record(r.offset)));
  }
  CHECK(got == survive);
}

struct Expect {
  std::vector<uint64_t> survive;  // offsets that read back after recovery
  uint64_t next = 0;              // the offset the next append gets
  uint64_t cut = 0;               // bytes recovery cuts
  size_t damage_left = 0;         // damaged spans the reader still reports after recovery
};

// Reopens the damaged log, checks recovery against `e`, appends 8 records and
// checks they land at e.next, e.next + 1, ... after every survivor.
RecoveryReport reopen_and_check(const std::filesystem::path& dir, const Expect& e) {
  RecoveryReport report;
  auto log = open_log(options(dir), report);
  CHECK(report.next_offset == e.next);
  CHECK(report.truncated_bytes == e.cut);
  CHECK(report.detail.find('\n') == std::string::npos);
  CHECK(log->probe().next_offset.get() == e.next);
  ReadBack mid = test::read_back(dir);
  check_survivors(mid, e.survive);
  CHECK(mid.damage.size() == e.damage_left);
  write_records(*log, 1000, 8);
  REQUIRE(log->close().ok());
  ReadBack back = test::read_back(dir);
  CHECK(back.damage.size() == e.damage_left);
  REQUIRE(back.records.size() == e.survive.size() + 8);
  for (uint64_t i = 0; i < 8; ++i) {
    const auto& r = back.records[e.survive.size() + i];
    CHECK(r.offset == e.next + i);
    CHECK(r.same_content(record(1000 + i)));
  }
  return report;
}

void flip(const std::filesystem::path& seg, uint64_t pos, uint8_t mask = 0x10) {
  auto bytes = test::read_bytes(seg);
  REQUIRE(pos < bytes.size());
  bytes[pos] ^= mask;
  test::write_bytes(seg, bytes);
}

// ---- The active segment -------------------------------------------------------

TEST_CASE("recovery, active segment: a flipped byte in the first batch costs that batch") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 5);
  flip(test::last_segment(dir.path()), starts[0] + kBatchHeaderSize + 3);
  RecoveryReport r = reopen_and_check(dir.path(), {offsets(0, 20, {0}), 20, 0, 1});
  CHECK(r.skipped_spans == 1);
  CHECK(r.lost_offsets == 4);
  CHECK(r.skipped_bytes == starts[1] - starts[0]);
  CHECK(r.detail.find("damaged span") != std::string::npos);
}

TEST_CASE("recovery, active segment: a flipped byte in a middle batch costs that batch") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 5);
  flip(test::last_segment(dir.path()), starts[2] + kBatchHeaderSize + 3);
  RecoveryReport r = reopen_and_check(dir.path(), {offsets(0, 20, {2}), 20, 0, 1});
  CHECK(r.skipped_spans == 1);
  CHECK(r.lost_offsets == 4);
}

TEST_CASE("recovery, active segment: flipped bytes in two batches cost those two") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 6);
  flip(test::last_segment(dir.path()), starts[1] + kBatchHeaderSize + 1);
  flip(test::last_segment(dir.path()), starts[3] + kBatchCrcAt);
  RecoveryReport r = reopen_and_check(dir.path(), {offsets(0, 24, {1, 3}), 24, 0, 2});
  CHECK(r.skipped_spans == 2);
  CHECK(r.lost_offsets == 8);
}

TEST_CASE("recovery, active segment: a flipped byte in the last batch cuts it, its offsets are not reused") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 5);
  auto seg = test::last_segment(dir.path());
  uint64_t size = std::filesystem::file_size(seg);
  flip(seg, starts[4] + kBatchHeaderSize + 3);
  // Nothing valid follows: a torn tail. Its sound header says it held 16..19.
  reopen_and_check(dir.path(), {offsets(0, 16), 20, size - starts[4], 0});
}

TEST_CASE("recovery, active segment: a last batch whose base offset is damaged claims nothing") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 5);
  auto seg = test::last_segment(dir.path());
  uint64_t size = std::filesystem::file_size(seg);
  flip(seg, starts[4] + kBatchBaseOffsetAt + 5, 0x01);  // 2^40 + 16: not believed
  reopen_and_check(dir.path(), {offsets(0, 16), 16, size - starts[4], 0});
}

TEST_CASE("recovery, active segment: a flipped length bit costs that batch") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 4);
  flip(test::last_segment(dir.path()), starts[1] + 3, 0x80);  // length's top bit: 2 GiB
  reopen_and_check(dir.path(), {offsets(0, 16, {1}), 16, 0, 1});
}

TEST_CASE("recovery, active segment: a torn tail is cut, the offsets it held are not reused") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 5);
  auto seg = test::last_segment(dir.path());
  auto bytes = test::read_bytes(seg);
  SUBCASE("inside the payload") { bytes.resize(starts[4] + (bytes.size() - starts[4]) / 2); }
  SUBCASE("inside the batch header") { bytes.resize(starts[4] + kBatchHeaderSize / 2); }
  uint64_t torn = bytes.size() - starts[4];
  bool header_whole = torn >= kBatchHeaderSize;
  test::write_bytes(seg, bytes);
  reopen_and_check(dir.path(), {offsets(0, 16), header_whole ? 20u : 16u, torn, 0});
}

TEST_CASE("recovery, active segment: a zeroed tail is cut") {
  TempDir dir;
  write_batches(dir.path(), 3);
  auto seg = test::last_segment(dir.path());
  auto bytes = test::read_bytes(seg);
  bytes.resize(bytes.size() + 8192, 0);  // as after a crash with preallocated blocks
  test::write_bytes(seg, bytes);
  reopen_and_check(dir.path(), {offsets(0, 12), 12, 8192, 0});
}

TEST_CASE("recovery, active segment: a length past the end of the file cuts only the last batch") {
  TempDir dir;
  auto starts = write_batches(dir.path(), 3);
  auto seg = test::last_segment(dir.path());
  auto bytes = test::read_bytes(seg);
  uint32_t len = coding::get_u32(&bytes[starts[2]]);
  coding::put_u32(&bytes[starts[2] + kBatchLengthAt], len + 4096);
  coding::put_u32(&bytes[starts[2] + kBatchPayloadLengthAt], len + 4096 - static_cast<uint32_t>(kBatchHeaderSize));
  test::write_bytes(seg, bytes);
  reopen_and_check(dir.path(), {offsets(0, 8), 12, bytes.size() - starts[2], 0});
}

// ---- A sealed segment -----------------------------------------------------------

// Several segments; the first is sealed (read-only, with its index), the
// last active.
struct TwoSegments {
  std::filesystem::path sealed;
  std::vector<uint64_t> starts;
  uint64_t sealed_records = 0;
  uint64_t total = 0;
};

TwoSegments write_two_segments(const std::filesystem::path& dir) {
  LogOptions o = options(dir);
  o.batch_bytes = 1;
  o.segment_bytes = 2048;
  TwoSegments t;
  t.total = 16 * kPerBatch;  // a few segments' worth of 4-record batches
  {
    auto log = open_log(o);
    write_records(*log, 0, t.total, kPerBatch);
    REQUIRE(log->close().ok());
  }
  std::vector<SegmentFile> segs;
  REQUIRE(list_segments(dir, segs).ok());
  REQUIRE(segs.size() >= 2);
  t.sealed = segs[0].path;
  t.sealed_records = segs[1].base_offset;
  REQUIRE(t.sealed_records % kPerBatch == 0);
  auto bytes = test::read_bytes(t.sealed);
  for (uint64_t pos = kSegmentHeaderSize; pos < bytes.size(); pos += coding::get_u32(&bytes[pos])) {
    t.starts.push_back(pos);
  }
  REQUIRE(t.starts.size() >= 3);
  REQUIRE(std::filesystem::exists(std::filesystem::path(t.sealed).replace_extension(idxfmt::kSuffix)));
  return t;
}

void sealed_case(const char* which, bool with_index) {
  TempDir dir;
  TwoSegments t = write_two_segments(dir.path());
  size_t batch = std::string(which) == "first" ? 0 : std::string(which) == "middle" ? t.starts.size() / 2
                                                                                     : t.starts.size() - 1;
  std::filesystem::permissions(t.sealed, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  flip(t.sealed, t.starts[batch] + kBatchHeaderSize + 2);
  std::filesystem::permissions(t.sealed, std::filesystem::perms::owner_write, std::filesystem::perm_options::remove);
  auto idx = std::filesystem::path(t.sealed).replace_extension(idxfmt::kSuffix);
  if (!with_index) std::filesystem::remove(idx);
  uint64_t size = std::filesystem::file_size(t.sealed);
  INFO(which << " batch of the sealed segment, " << (with_index ? "with" : "without") << " its index");
  RecoveryReport r = reopen_and_check(dir.path(), {offsets(0, t.total, {batch}), t.total, 0, 1});
  // Never cut, the damage stays for verify to report.
  CHECK(std::filesystem::file_size(t.sealed) == size);
  if (!with_index) {
    CHECK(r.indexes_rebuilt == 1);
    CHECK(std::filesystem::exists(idx));
  }
}

TEST_CASE("recovery, sealed segment: a flipped byte in the first batch costs that batch only") {
  sealed_case("first", true);
  sealed_case("first", false);
}

TEST_CASE("recovery, sealed segment: a flipped byte in a middle batch costs that batch only") {
  sealed_case("middle", true);
  sealed_case("middle", false);
}

TEST_CASE("recovery, sealed segment: a flipped byte in the last batch costs that batch, nothing is cut") {
  sealed_case("last", true);
  sealed_case("last", false);
}

TEST_CASE("recovery, sealed segment: a missing index is rebuilt without cutting anything") {
  TempDir dir;
  TwoSegments t = write_two_segments(dir.path());
  auto idx = std::filesystem::path(t.sealed).replace_extension(idxfmt::kSuffix);
  auto before = test::read_bytes(idx);
  std::filesystem::remove(idx);
  RecoveryReport r = reopen_and_check(dir.path(), {offsets(0, t.total), t.total, 0, 0});
  CHECK(r.indexes_rebuilt == 1);
  CHECK(test::read_bytes(idx) == before);
}

}  // namespace
}  // namespace ringest
