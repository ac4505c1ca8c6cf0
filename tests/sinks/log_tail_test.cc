// LogTail: batches in order as stored, across segments, resumable at any
// batch, bounded by a limit offset, read in chunks, past damage in sealed
// segments, and on from where it was while the log grows.
#include "sinks/log_tail.h"

#include <doctest/doctest.h>

#include <cstring>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "partition_log_helpers.h"
#include "sinks/crc32c.h"
#include "sinks/segment_format.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::TempDir;

LogOptions options(const std::filesystem::path& dir) {
  LogOptions o = test::plog::options(dir);
  o.batch_bytes = 512;
  o.segment_bytes = 4096;
  o.durability = Durability::kBatch;
  return o;
}

struct Seen {
  std::vector<std::pair<uint64_t, uint64_t>> batches;  // [base, end)
  std::vector<uint64_t> offsets;
  size_t damage = 0;
  LogTail::Visit visit(size_t stop_after = SIZE_MAX) {
    return [this, stop_after](const BatchView& b, std::span<const uint8_t> stored) {
      if (batches.size() >= stop_after) return false;
      // The bytes as stored: the header's length, its CRC over [8, length).
      CHECK(stored.size() == b.header.length);
      BatchHeader h;
      const char* why = nullptr;
      REQUIRE(decode_batch_header(stored.data(), h, &why));
      CHECK(h.base_offset == b.header.base_offset);
      CHECK(crc32c::value(stored.data() + segfmt::kBatchCrcFrom, stored.size() - segfmt::kBatchCrcFrom) ==
            b.header.crc);
      batches.emplace_back(b.header.base_offset, b.header.end_offset());
      BatchRecords records(b);
      RecordView r;
      uint64_t off = 0;
      while (records.next(r, off)) offsets.push_back(off);
      return true;
    };
  }
  LogTail::Damage on_damage() {
    return [this](const std::filesystem::path&, uint64_t) { ++damage; };
  }
};

void write_closed_log(const std::filesystem::path& dir, uint64_t records) {
  auto log = test::open_log(options(dir));
  test::plog::write_records(*log, 0, records);
  REQUIRE(log->close().ok());
}

void check_contiguous(const Seen& s, uint64_t first, uint64_t end) {
  REQUIRE(!s.offsets.empty());
  CHECK(s.offsets.front() == first);
  CHECK(s.offsets.back() == end - 1);
  for (size_t i = 1; i < s.offsets.size(); ++i) CHECK(s.offsets[i] == s.offsets[i - 1] + 1);
}

}  // namespace

TEST_CASE("log tail: every batch once, in order, across segments, with its stored bytes") {
  TempDir dir;
  write_closed_log(dir.path(), 300);
  LogTail tail(dir.path());
  Seen seen;
  const size_t handed = tail.step(seen.visit());
  CHECK(handed == seen.batches.size());
  check_contiguous(seen, 0, 300);
  CHECK(tail.next_offset() == 300);
  CHECK(tail.step(seen.visit()) == 0);  // nothing new
}

TEST_CASE("log tail: a visitor that stops gets the same batch again next step; a limit holds back later batches") {
  TempDir dir;
  write_closed_log(dir.path(), 300);
  LogTail tail(dir.path());
  Seen seen;
  CHECK(tail.step(seen.visit(3)) == 3);
  const uint64_t after_three = seen.batches.back().second;
  CHECK(tail.next_offset() == after_three);
  CHECK(tail.step(seen.visit(), 150) > 0);
  CHECK(seen.batches.back().second <= 150);
  CHECK(tail.step(seen.visit()) > 0);
  check_contiguous(seen, 0, 300);
}

TEST_CASE("log tail: starting at an offset hands out the batch holding it and all after") {
  TempDir dir;
  write_closed_log(dir.path(), 300);
  LogTail tail(dir.path(), 150);
  Seen seen;
  tail.step(seen.visit());
  REQUIRE(!seen.batches.empty());
  CHECK(seen.batches.front().first <= 150);
  CHECK(seen.batches.front().second > 150);
  CHECK(seen.offsets.back() == 299);
}

TEST_CASE("log tail: small chunks read the same batches") {
  TempDir dir;
  write_closed_log(dir.path(), 300);
  Seen whole, chunked;
  LogTail(dir.path()).step(whole.visit());
  LogTail small(dir.path(), 0, 300);  // less than one batch at times
  while (small.step(chunked.visit()) > 0) {
  }
  CHECK(chunked.batches == whole.batches);
  Seen crc_only;
  LogTail(dir.path(), 0, 16u << 20, SegmentReader::Checks::kCrcOnly).step(crc_only.visit());
  CHECK(crc_only.batches == whole.batches);
}

TEST_CASE("log tail: damage in a sealed segment is reported once and read past") {
  TempDir dir;
  write_closed_log(dir.path(), 300);
  std::vector<SegmentFile> segs;
  REQUIRE(list_segments(dir.path(), segs).ok());
  REQUIRE(segs.size() >= 3);
  // A flipped byte in the middle of the second segment's first batch.
  std::filesystem::permissions(segs[1].path, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  std::vector<uint8_t> bytes = test::read_bytes(segs[1].path);
  bytes[segfmt::kSegmentHeaderSize + segfmt::kBatchHeaderSize + 10] ^= 0x40;
  test::write_bytes(segs[1].path, bytes);

  // The CRC alone finds it too (what an output passing batches on whole reads with).
  for (SegmentReader::Checks checks : {SegmentReader::Checks::kRecords, SegmentReader::Checks::kCrcOnly}) {
    Seen seen;
    LogTail tail(dir.path(), 0, 1024, checks);
    while (tail.step(seen.visit(), UINT64_MAX, seen.on_damage()) > 0) {
    }
    CHECK(seen.damage == 1);
    CHECK(seen.offsets.back() == 299);
    // Only the damaged batch's records are missing.
    CHECK(seen.offsets.size() < 300);
    CHECK(seen.offsets.size() > 300 - 40);
  }
}

TEST_CASE("log tail: reads on as the log grows, never handing a batch twice") {
  TempDir dir;
  auto log = test::open_log(options(dir.path()));
  LogTail tail(dir.path());
  Seen seen;
  uint64_t written = 0;
  for (int round = 0; round < 5; ++round) {
    test::plog::write_records(*log, written, 70);
    written += 70;
    log->flush();
    for (int i = 0; i < 2000 && log->probe().durable_offset.get() < written; ++i) {
      log->poll(mono_ns());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(log->probe().durable_offset.get() == written);
    tail.step(seen.visit(), log->probe().durable_offset.get());
    CHECK(tail.next_offset() == written);
  }
  REQUIRE(log->close().ok());
  check_contiguous(seen, 0, written);
}

}  // namespace ringest
