// Outputs' portable parts: what a stored batch becomes as a message (both
// encodings, the same every time), and the cursor file.
#include <doctest/doctest.h>

#include <vector>

#include "outputs/batch_message.h"
#include "outputs/cursor_file.h"
#include "outputs/offset_coverage.h"
#include "sinks/crc32c.h"
#include "sinks/log_tail.h"
#include "sinks/point_line.h"
#include "tests/sinks/partition_log_helpers.h"
#include "tests/sinks/test_util.h"

namespace ringest {
namespace {

struct Batch {
  std::vector<uint8_t> stored;
  uint64_t base = 0, end = 0;
};

// A closed log of `records` records (every tenth a raw one), its batches as stored.
std::vector<Batch> stored_batches(const std::filesystem::path& dir, uint64_t records) {
  LogOptions o = test::plog::options(dir);
  o.batch_bytes = 2048;
  auto log = test::open_log(o);
  test::plog::write_records(*log, 0, records);
  REQUIRE(log->close().ok());
  std::vector<Batch> out;
  LogTail(dir).step([&](const BatchView& b, std::span<const uint8_t> stored) {
    out.push_back({{stored.begin(), stored.end()}, b.header.base_offset, b.header.end_offset()});
    return true;
  });
  REQUIRE(out.size() > 3);
  return out;
}

// Encodes a stored batch again from its bytes alone, as a resend would.
void encode(const Batch& b, Encoding e, BatchMessage& m) {
  SegmentReader reader(b.stored, nullptr, SegmentReader::OnDamage::kStop);
  reader.resume(0, b.base);
  BatchView view;
  REQUIRE(reader.next_batch(view));
  encode_batch_message("edge-1", 3, view, b.stored, e, m);
}

}  // namespace

TEST_CASE("batch message: the batch encoding is the stored batch, with its offsets, count and id") {
  test::TempDir dir;
  for (const Batch& b : stored_batches(dir.path(), 200)) {
    BatchMessage m;
    encode(b, Encoding::kBatch, m);
    CHECK(m.id == "edge-1/3/" + std::to_string(b.base));
    CHECK(m.partition == 3);
    CHECK(m.first_offset == b.base);
    CHECK(m.last_offset == b.end - 1);
    CHECK(m.records == b.end - b.base);
    CHECK(m.first_time_ns <= m.last_time_ns);
    CHECK(m.body == std::string(b.stored.begin(), b.stored.end()));
    BatchMessage again;
    encode(b, Encoding::kBatch, again);
    CHECK(again.id == m.id);
    CHECK(again.body == m.body);
  }
}

TEST_CASE("batch message: the influx encoding is one line per point; raw records are left out and counted") {
  test::TempDir dir;
  uint64_t lines = 0, raws = 0;
  for (const Batch& b : stored_batches(dir.path(), 200)) {
    BatchMessage m;
    encode(b, Encoding::kInflux, m);
    std::string expect;
    uint32_t raw = 0;
    for (uint64_t n = b.base; n < b.end; ++n) {
      test::OwnedRecord r = test::plog::record(n);
      if (r.kind == RecordKind::kRaw) {
        ++raw;
        continue;
      }
      append_point_line(expect, r.views().point);
    }
    CHECK(m.body == expect);
    CHECK(m.raw_left_out == raw);
    CHECK(m.records == b.end - b.base);  // the header counts every record the batch holds
    lines += static_cast<uint64_t>(std::count(m.body.begin(), m.body.end(), '\n'));
    raws += raw;
  }
  CHECK(lines + raws == 200);
  CHECK(raws == 20);
}

TEST_CASE("batch messages: an influx batch over the limit is cut on record boundaries, the same way every time") {
  test::TempDir dir;
  for (const Batch& b : stored_batches(dir.path(), 200)) {
    SegmentReader reader(b.stored, nullptr, SegmentReader::OnDamage::kStop);
    reader.resume(0, b.base);
    BatchView view;
    REQUIRE(reader.next_batch(view));
    BatchMessage whole;
    encode_batch_message("edge-1", 3, view, b.stored, Encoding::kInflux, whole);
    std::vector<BatchMessage> parts;
    const size_t n = encode_batch_messages("edge-1", 3, view, b.stored, Encoding::kInflux, 300, 0, parts);
    REQUIRE(n >= 2);
    std::string joined;
    uint64_t next = b.base;
    uint32_t raw = 0;
    for (size_t i = 0; i < n; ++i) {
      const BatchMessage& m = parts[i];
      CHECK(m.first_offset == next);
      CHECK(m.id == "edge-1/3/" + std::to_string(m.first_offset));
      CHECK(m.records == m.last_offset - m.first_offset + 1);
      // At most the limit, unless one line alone is longer.
      CHECK((m.body.size() <= 300 || std::count(m.body.begin(), m.body.end(), '\n') == 1));
      joined += m.body;
      raw += m.raw_left_out;
      next = m.last_offset + 1;
    }
    CHECK(next == b.end);
    CHECK(joined == whole.body);
    CHECK(raw == whole.raw_left_out);
    // Resuming inside the batch: the same cuts, from the one holding the offset.
    const uint64_t from = parts[1].last_offset;
    std::vector<BatchMessage> rest;
    const size_t k = encode_batch_messages("edge-1", 3, view, b.stored, Encoding::kInflux, 300, from, rest);
    REQUIRE(k == n - 1);
    for (size_t i = 0; i < k; ++i) {
      CHECK(rest[i].id == parts[i + 1].id);
      CHECK(rest[i].body == parts[i + 1].body);
    }
    // A batch-encoded one is never cut.
    std::vector<BatchMessage> one;
    CHECK(encode_batch_messages("edge-1", 3, view, b.stored, Encoding::kBatch, 300, 0, one) == 1);
    CHECK(one[0].body.size() == b.stored.size());
  }
}

TEST_CASE("cursor file: round trip, the latest value, and nothing from a damaged or missing file") {
  test::TempDir dir;
  const std::filesystem::path p = dir.path() / "out" / "0.cursor";
  uint64_t v = 7;
  CHECK_FALSE(read_cursor(p, v));
  CHECK(v == 7);
  REQUIRE(write_cursor(p, 12345).ok());
  REQUIRE(read_cursor(p, v));
  CHECK(v == 12345);
  uint64_t seq = 5;
  REQUIRE(read_cursor(p, v, &seq));
  CHECK(seq == 0);
  REQUIRE(write_cursor(p, 99, 4242).ok());
  REQUIRE(read_cursor(p, v, &seq));
  CHECK(v == 99);
  CHECK(seq == 4242);
  std::vector<uint8_t> bytes = test::read_bytes(p);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<uint8_t> bad = bytes;
    bad[i] ^= 0x01;
    test::write_bytes(p, bad);
    uint64_t got = 0;
    CHECK_FALSE(read_cursor(p, got));
  }
  // A version 1 file (no sequence number) still reads.
  const std::string v1 = "ringest-cursor 1 777";
  char crc[16];
  std::snprintf(crc, sizeof crc, " %08x\n", static_cast<unsigned>(crc32c::value(v1.data(), v1.size())));
  const std::string line = v1 + crc;
  test::write_bytes(p, std::vector<uint8_t>(line.begin(), line.end()));
  seq = 9;
  REQUIRE(read_cursor(p, v, &seq));
  CHECK(v == 777);
  CHECK(seq == 0);
}

TEST_CASE("offset coverage: holes, overlaps and late arrivals") {
  OffsetCoverage c;
  CHECK(c.empty());
  CHECK(c.add(0, 10) == 0);
  CHECK(c.add(20, 30) == 0);  // [10, 20) missing
  CHECK(c.add(40, 45) == 0);  // [30, 40) missing
  CHECK(c.end() == 45);
  CHECK(c.holes(0) == std::vector<OffsetCoverage::Range>{{10, 20}, {30, 40}});
  CHECK(c.holes(5) == std::vector<OffsetCoverage::Range>{{10, 20}, {30, 40}});
  CHECK(c.holes(25) == std::vector<OffsetCoverage::Range>{{30, 40}});
  CHECK(c.holes(45).empty());
  // A late arrival fills a hole; one overlapping what is there counts the overlap.
  CHECK(c.add(10, 20) == 0);
  CHECK(c.holes(0) == std::vector<OffsetCoverage::Range>{{30, 40}});
  CHECK(c.add(28, 33) == 2);
  CHECK(c.holes(0) == std::vector<OffsetCoverage::Range>{{33, 40}});
  CHECK(c.add(0, 45) == 38);
  CHECK(c.holes(0).empty());
  CHECK(c.begin() == 0);
  CHECK(c.end() == 45);
  CHECK(c.add(7, 7) == 0);
  // Touching ranges merge.
  OffsetCoverage t;
  t.add(5, 6);
  t.add(6, 8);
  t.add(3, 5);
  CHECK(t.holes(3).empty());
  CHECK(t.holes(0) == std::vector<OffsetCoverage::Range>{{0, 3}});
}

}  // namespace ringest
