// Sealed segments: the sparse index, read-only files, rotation by age,
// retention by bytes and age, and opening from odd states on disk.
#include "sinks/segment_set.h"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <thread>

#include "common/clock.h"
#include "sinks/partition_log.h"
#include "sinks/segment_index.h"
#include "sinks/file_layer.h"
#include "partition_log_helpers.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::open_log;
using test::TempDir;

LogOptions options(const std::filesystem::path& dir) {
  LogOptions o;
  o.dir = dir;
  o.partition = 2;
  o.batch_bytes = 512;
  o.segment_bytes = 4096;
  o.durability = Durability::kBatch;
  return o;
}

void write(PartitionLog& log, uint64_t first, uint64_t count, int64_t mono = 0) {
  for (uint64_t n = first; n < first + count; ++n) {
    test::plog::append(log, test::sample_point(n));
    log.end_datagram();
    log.poll(mono != 0 ? mono : mono_ns());
  }
}

std::vector<SegmentFile> segments(const std::filesystem::path& dir) {
  std::vector<SegmentFile> segs;
  REQUIRE(list_segments(dir, segs).ok());
  return segs;
}

std::filesystem::path idx_of(const SegmentFile& s) {
  std::filesystem::path p = s.path;
  p.replace_extension(".idx");
  return p;
}

// Records make_log writes: enough for three sealed segments and an active one.
constexpr uint64_t kLogRecords = 300;

// Three sealed segments and an active one, closed.
std::vector<SegmentFile> make_log(const LogOptions& o) {
  RecoveryReport report;
  auto log = open_log(o, report);
  write(*log, 0, kLogRecords);
  REQUIRE(log->close().ok());
  auto segs = segments(o.dir);
  REQUIRE(segs.size() >= 4);
  return segs;
}

TEST_CASE("segment index: round trip, and any damage is refused") {
  SegmentIndex idx{7, 1000, 9000, 1234, {{1000, 64, 5, 9}, {1100, 70000, -3, 20}}};
  std::vector<uint8_t> bytes = encode_index(idx);
  SegmentIndex back;
  const char* why = nullptr;
  REQUIRE(decode_index(bytes, back, &why));
  CHECK(back == idx);
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = bytes;
    b[i] ^= 0x10;
    CHECK_FALSE(decode_index(b, back, &why));
  }
  for (size_t n = 0; n < bytes.size(); n += 5) {
    CHECK_FALSE(decode_index(std::span(bytes).first(n), back, &why));
  }
  CHECK(idx.position_for_offset(999) == 64);
  CHECK(idx.position_for_offset(1099) == 64);
  CHECK(idx.position_for_offset(1100) == 70000);
  CHECK(idx.position_for_time(10) == 70000);
  CHECK(idx.position_for_time(9) == 64);
  CHECK(idx.position_for_time(21) == 9000);
  CHECK(index_file_name(1000) == "00000000000000001000.idx");
}

TEST_CASE("sealed segments: an index that matches the segment, read-only files, a writable active one") {
  TempDir dir;
  auto segs = make_log(options(dir.path()));
  for (size_t i = 0; i < segs.size(); ++i) {
    using std::filesystem::perms;
    const perms p = std::filesystem::status(segs[i].path).permissions();
    bool sealed = i + 1 < segs.size();
    CHECK(((p & (perms::owner_write | perms::group_write | perms::others_write)) == perms::none) == sealed);
    CHECK(std::filesystem::exists(idx_of(segs[i])) == sealed);
    if (!sealed) continue;
    SegmentIndex idx;
    const char* why = nullptr;
    REQUIRE(decode_index(test::read_bytes(idx_of(segs[i])), idx, &why));
    CHECK(idx.base_offset == segs[i].base_offset);
    CHECK(idx.end_pos == std::filesystem::file_size(segs[i].path));
    CHECK(idx.next_offset == segs[i + 1].base_offset);
    // Every entry points at a batch that starts with the entry's offset.
    std::vector<uint8_t> bytes = test::read_bytes(segs[i].path);
    SegmentReader reader(bytes, nullptr);
    SegmentHeader h;
    REQUIRE(reader.read_header(h));
    BatchView b;
    size_t e = 0;
    while (reader.next_batch(b)) {
      if (e < idx.entries.size() && idx.entries[e].pos == b.file_pos) {
        CHECK(idx.entries[e].offset == b.header.base_offset);
        ++e;
      }
    }
    CHECK(e == idx.entries.size());
  }
}

TEST_CASE("startup: missing, damaged, truncated and orphaned index files") {
  TempDir dir;
  LogOptions o = options(dir.path());
  auto segs = make_log(o);
  std::vector<uint8_t> good = test::read_bytes(idx_of(segs[1]));
  std::filesystem::remove(idx_of(segs[0]));
  std::vector<uint8_t> bad = good;
  bad[70] ^= 1;
  test::write_bytes(idx_of(segs[1]), bad);
  test::write_bytes(idx_of(segs[2]), std::vector<uint8_t>(good.begin(), good.begin() + 30));
  test::write_bytes(dir.path() / "00000000000000999999.idx", good);  // no segment
  RecoveryReport report;
  auto log = open_log(o, report);
  INFO(report.detail);
  CHECK(report.indexes_rebuilt == 3);
  CHECK(report.truncated_bytes == 0);
  CHECK(test::read_bytes(idx_of(segs[1])) == good);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "00000000000000999999.idx"));
  write(*log, kLogRecords, 5);
  REQUIRE(log->close().ok());
  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  CHECK(back.records.size() == kLogRecords + 5);
}

TEST_CASE("startup: damaged sealed segments, empty, zero-filled, truncated or duplicated") {
  TempDir dir;
  LogOptions o = options(dir.path());
  auto segs = make_log(o);
  uint64_t size1 = std::filesystem::file_size(segs[1].path);
  std::string expect;
  size_t damage_left = 0;
  SUBCASE("truncated: its index no longer matches, it is read, and kept as it is: a sealed segment is never cut") {
    std::filesystem::resize_file(segs[1].path, size1 - 10);
    expect = "kept as it is";
    damage_left = 1;
  }
  SUBCASE("zero-filled") {
    test::write_bytes(segs[1].path, std::vector<uint8_t>(size1, 0));
    expect = "set aside";
  }
  SUBCASE("empty") {
    test::write_bytes(segs[1].path, {});
    expect = "empty file";
  }
  SUBCASE("a copy of another segment under a later name") {
    REQUIRE(remove_file(segs[1].path).ok());  // read-only: the file layer's remove copes
    std::filesystem::copy_file(segs[0].path, segs[1].path);
    expect = "disagrees with the file name";
  }
  RecoveryReport report;
  auto log = open_log(o, report);
  INFO(report.detail);
  CHECK(report.detail.find(expect) != std::string::npos);
  CHECK(log->probe().recovery_cut_bytes.get() == report.truncated_bytes);
  // The log goes on after the newest segment as before.
  CHECK(report.next_offset == kLogRecords);
  write(*log, kLogRecords, 5);
  REQUIRE(log->close().ok());
  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.size() == damage_left);
  if (damage_left > 0) CHECK(std::filesystem::file_size(segs[1].path) == size1 - 10);
  CHECK(back.records.back().offset == kLogRecords + 4);
}

TEST_CASE("startup: duplicated active segment and a stray index for it") {
  TempDir dir;
  LogOptions o = options(dir.path());
  auto segs = make_log(o);
  std::filesystem::copy_file(segs[1].path, idx_of(segs.back()));  // garbage as the active one's index
  RecoveryReport report;
  auto log = open_log(o, report);
  CHECK_FALSE(std::filesystem::exists(idx_of(segs.back())));
  REQUIRE(log->close().ok());
  CHECK(test::read_back(dir.path()).records.size() == kLogRecords);
}

TEST_CASE("rotation by age: an old active segment is left at the next batch") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.segment_bytes = 1u << 20;
  o.segment_ms = 20;
  RecoveryReport report;
  auto log = open_log(o, report);
  int64_t mono = 1'000'000'000;
  write(*log, 0, 20, mono);  // more than a batch: the active segment has data
  CHECK(segments(dir.path()).size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  mono += 2'000'000'000;  // past the once-a-second check
  write(*log, 20, 20, mono);
  REQUIRE(log->close().ok());
  CHECK(segments(dir.path()).size() == 2);
  CHECK(test::read_back(dir.path()).records.size() == 40);
}

TEST_CASE("retention by bytes: the oldest sealed segments go, the newest records stay") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.retention_bytes = 12'000;
  RecoveryReport report;
  auto log = open_log(o, report);
  int64_t mono = 1'000'000'000;
  for (uint64_t n = 0; n < 400; n += 20) {
    mono += 2'000'000'000;
    write(*log, n, 20, mono);
  }
  log->flush();
  log->poll(mono + 2'000'000'000);
  const LogProbe& p = log->probe();
  CHECK(p.segments_deleted.get() > 0);
  CHECK(p.log_bytes.get() <= o.retention_bytes);
  REQUIRE(log->close().ok());
  uint64_t total = 0;
  for (const SegmentFile& s : segments(dir.path())) total += std::filesystem::file_size(s.path);
  CHECK(total <= o.retention_bytes + o.segment_bytes);  // close may have added to the active one
  CHECK(total + o.segment_bytes > o.retention_bytes);   // no more was deleted than needed
  test::ReadBack back = test::read_back(dir.path());
  CHECK(back.damage.empty());
  CHECK(back.records.back().offset == 399);
  // What is left is a contiguous tail of the log.
  for (size_t i = 1; i < back.records.size(); ++i)
    CHECK(back.records[i].offset == back.records[i - 1].offset + 1);
  // No index outlives its segment.
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().extension() != ".idx") continue;
    std::filesystem::path seg = e.path();
    CHECK(std::filesystem::exists(seg.replace_extension(".seg")));
  }
}

TEST_CASE("retention by age: sealed segments older than the limit go") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.retention_ms = 20;
  RecoveryReport report;
  auto log = open_log(o, report);
  int64_t mono = 1'000'000'000;
  write(*log, 0, kLogRecords, mono);
  log->flush();
  for (int i = 0; i < 20; ++i) {  // let the last writes and their rotation finish
    log->poll(mono);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  size_t before = segments(dir.path()).size();
  REQUIRE(before >= 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  log->poll(mono + 2'000'000'000);
  CHECK(log->probe().segments_deleted.get() == before - 1);
  CHECK(segments(dir.path()).size() == 1);  // the active one stays
  REQUIRE(log->close().ok());
}

TEST_CASE("retention holds: a segment a reader still needs stays; an overridable hold counts what went unread") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.retention_ms = 20;
  RetentionHolds holds;
  RetentionHold* firm = holds.add("firm", false);
  RetentionHold* soft = holds.add("soft", true);
  o.holds = &holds;
  RecoveryReport report;
  auto log = open_log(o, report);
  int64_t mono = 1'000'000'000;
  write(*log, 0, kLogRecords, mono);
  log->flush();
  for (int i = 0; i < 20; ++i) {
    log->poll(mono);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::vector<SegmentFile> before = segments(dir.path());
  REQUIRE(before.size() >= 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  mono += 2'000'000'000;
  log->poll(mono);
  CHECK(log->probe().segments_deleted.get() == 0);  // the firm hold needs everything from 0

  // The firm reader is past the first two segments: those two go, no more.
  firm->release_below(before[2].base_offset);
  soft->release_below(before[1].base_offset);
  mono += 2'000'000'000;
  log->poll(mono);
  CHECK(log->probe().segments_deleted.get() == 2);
  CHECK(segments(dir.path()).front().base_offset == before[2].base_offset);
  // The soft reader had read only the first: the second went unread by it.
  CHECK(soft->deleted_unread() == before[2].base_offset - before[1].base_offset);
  CHECK(firm->deleted_unread() == 0);
  REQUIRE(log->close().ok());
}

// Records read with a range, next to a full read filtered by hand.
class Collect : public LogVisitor {
 public:
  void on_record(uint32_t, uint64_t offset, const RecordView& r) override {
    got.emplace_back(offset, r.point.time_ns);
  }
  void on_damage(const std::filesystem::path&, uint64_t, std::string_view) override { ++damage; }
  std::vector<std::pair<uint64_t, int64_t>> got;
  int damage = 0;
};

TEST_CASE("ranges: --from-offset and --since/--until through the index read exactly the records in range") {
  TempDir dir;
  LogOptions o = options(dir.path());
  o.segment_bytes = 1u << 20;  // several index spans per segment
  o.batch_bytes = 8192;
  RecoveryReport report;
  auto log = open_log(o, report);
  write(*log, 0, 60000);
  REQUIRE(log->close().ok());
  PartitionDir p;
  p.path = dir.path();
  p.partition = 2;
  REQUIRE(list_segments(dir.path(), p.segments).ok());
  REQUIRE(p.segments.size() >= 3);
  Collect all;
  REQUIRE(read_partition(p, all).ok());
  REQUIRE(all.got.size() == 60000);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 50; ++i) {
    ReadRange r;
    r.from_offset = rng() % 21000;
    int64_t a = all.got[rng() % all.got.size()].second, b = all.got[rng() % all.got.size()].second;
    if (i % 3 != 0) r.since_ns = std::min(a, b);
    if (i % 3 != 1) r.until_ns = std::max(a, b);
    std::vector<std::pair<uint64_t, int64_t>> expect;
    for (const auto& [off, t] : all.got) {
      if (off >= r.from_offset && t >= r.since_ns && t <= r.until_ns) expect.emplace_back(off, t);
    }
    Collect c;
    REQUIRE(read_partition(p, c, r).ok());
    CHECK(c.damage == 0);
    CHECK(c.got == expect);
  }
}

}  // namespace
}  // namespace ringest
