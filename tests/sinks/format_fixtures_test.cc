// Segments written in every format so far (tests/vectors/segment-v<N>,
// committed as each version's first writer left them) are read by today's
// readers, record for record, and a log opened on a format-1 partition goes on
// appending in the current format.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "partition_log_helpers.h"
#include "sinks/segment_format.h"
#include "sinks/segment_headers.h"
#include "sinks/segment_reader.h"
#include "test_util.h"

namespace ringest {
namespace {

const std::filesystem::path kVectors = std::filesystem::path(RINGEST_VECTORS_DIR);
constexpr uint64_t kRecords = 200;

// Record n of the committed segments of `version`.
test::OwnedRecord fixture_record(uint16_t version, uint64_t n) {
  return version >= 3 ? test::plog::record_v3(n) : test::plog::record(n);
}

void check_fixture_records(const test::ReadBack& back, uint32_t partition, uint64_t count, uint16_t version) {
  CHECK(back.damage.empty());
  REQUIRE(back.records.size() == count);
  for (uint64_t n = 0; n < count; ++n) {
    const test::OwnedRecord& r = back.records[n];
    CHECK(r.partition == partition);
    CHECK(r.offset == n);
    CHECK_MESSAGE(r.same_content(fixture_record(version, n)), "partition " << partition << " offset " << n);
  }
}

TEST_CASE("formats 1, 2 and 3: every record of the committed segments reads back as written") {
  for (uint16_t version : {segfmt::kFormatVersion1, segfmt::kFormatVersion2, uint16_t{3}}) {
    for (uint32_t partition : {3u, 4u, 5u}) {  // none, zstd, lz4
      std::filesystem::path dir = kVectors / ("segment-v" + std::to_string(version)) / std::to_string(partition);
      INFO(dir.string());
      std::vector<SegmentFile> segs;
      REQUIRE(list_segments(dir, segs).ok());
      REQUIRE(segs.size() >= 2);  // sealed ones with their index, and the active one
      for (const SegmentFile& s : segs) {
        std::vector<uint8_t> bytes = test::read_bytes(s.path);
        SegmentHeader h;
        const char* why = nullptr;
        REQUIRE(decode_segment_header(bytes, h, &why));
        CHECK(h.version == version);
      }
      check_fixture_records(test::read_back(dir), partition, kRecords, version);
    }
  }
}

TEST_CASE("formats 1 and 2: a log opened on an older partition appends batches of the current format after it") {
  for (uint16_t old_version : {segfmt::kFormatVersion1, segfmt::kFormatVersion2}) {
  INFO("format " << old_version);
  test::TempDir dir;
  std::filesystem::copy(kVectors / ("segment-v" + std::to_string(old_version)) / "4", dir.path(), std::filesystem::copy_options::recursive);
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))  // sealed files were read-only
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  LogOptions o = test::plog::options(dir.path());
  o.partition = 4;
  o.preallocate = false;
  RecoveryReport report;
  auto log = test::open_log(o, report);
  INFO(report.detail);
  CHECK(report.truncated_bytes == 0);
  CHECK(report.skipped_spans == 0);
  CHECK(report.next_offset == kRecords);
  test::plog::write_records(*log, kRecords, 100);
  REQUIRE(log->close().ok());

  test::ReadBack back = test::read_back(dir.path());
  check_fixture_records(back, 4, kRecords + 100, old_version);
  std::vector<uint8_t> versions;
  class Versions : public LogVisitor {
   public:
    explicit Versions(std::vector<uint8_t>& v) : v_(v) {}
    void on_batch(const SegmentFile&, const BatchView& b) override { v_.push_back(b.header.version); }
    void on_record(uint32_t, uint64_t, const RecordView&) override {}
    void on_damage(const std::filesystem::path&, uint64_t, std::string_view) override {}

   private:
    std::vector<uint8_t>& v_;
  } visitor(versions);
  PartitionDir p;
  p.path = dir.path();
  REQUIRE(list_segments(dir.path(), p.segments).ok());
  REQUIRE(read_partition(p, visitor).ok());
  REQUIRE(!versions.empty());
  CHECK(versions.front() == old_version);
  CHECK(versions.back() == segfmt::kFormatVersion);
  CHECK(std::is_sorted(versions.begin(), versions.end()));  // the old ones, then only new ones
  }
}

}  // namespace
}  // namespace ringest
