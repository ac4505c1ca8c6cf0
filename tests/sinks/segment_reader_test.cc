// The segment reader against damage made on purpose, in memory (leveldb
// log_test style): every valid batch is returned, a damaged span is reported
// once with where it starts and skipped to the next valid batch, and damage
// with nothing valid after it ends the segment (a torn tail).
#include "sinks/segment_reader.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "sinks/coding.h"
#include "sinks/crc32c.h"
#include "sinks/file_layer.h"
#include "sinks/segment_format.h"
#include "test_util.h"

namespace ringest {
namespace {

using namespace segfmt;

struct Damage {
  uint64_t pos;
  std::string reason;
};

class Recorder : public Reporter {
 public:
  void corruption(uint64_t file_pos, std::string_view reason) override {
    seen.push_back(Damage{file_pos, std::string(reason)});
  }
  std::vector<Damage> seen;
};

// A segment built in memory: header, then batches of sample points.
class SegmentBuilder {
 public:
  explicit SegmentBuilder(uint64_t base = 100) : next_(base) {
    bytes.resize(kSegmentHeaderSize);
    encode_segment_header(SegmentHeader{7, base, 1234}, bytes.data());
  }

  // Appends a batch of `n` records; returns where it starts.
  uint64_t add_batch(uint32_t n) {
    uint64_t at = bytes.size();
    std::vector<uint8_t> batch(kBatchHeaderSize);
    BatchHeader h;
    h.base_offset = next_;
    h.min_time_ns = INT64_MAX;
    h.max_time_ns = INT64_MIN;
    std::vector<test::OwnedRecord> records;
    for (uint32_t i = 0; i < n; ++i) {
      records.push_back(test::sample_point(next_ + i));
      h.min_time_ns = std::min(h.min_time_ns, records.back().time_ns);
      h.max_time_ns = std::max(h.max_time_ns, records.back().time_ns);
    }
    std::vector<uint8_t> payload = test::encode_payload(records);
    batch.insert(batch.end(), payload.begin(), payload.end());
    h.record_count = n;
    h.length = static_cast<uint32_t>(batch.size());
    h.payload_length = h.length - kBatchHeaderSize;
    seal_batch(h, batch.data());
    bytes.insert(bytes.end(), batch.begin(), batch.end());
    next_ += n;
    return at;
  }

  std::vector<uint8_t> bytes;

 private:
  uint64_t next_;
};

struct Result {
  bool header_ok = false;
  std::vector<uint64_t> batch_offsets;  // base offset of each batch returned
  std::vector<Damage> damage;
  uint64_t valid_end = 0;
  uint64_t next_offset = 0;
  uint64_t claimed_end = 0;
  bool torn = false;
  bool padded = false;
  uint32_t skipped_spans = 0;
  uint64_t skipped_bytes = 0;
  uint64_t lost_offsets = 0;
};

Result read_all(const std::vector<uint8_t>& bytes) {
  Result r;
  Recorder rec;
  SegmentReader reader(bytes, &rec);
  SegmentHeader h;
  r.header_ok = reader.read_header(h);
  BatchView b;
  while (reader.next_batch(b)) {
    r.batch_offsets.push_back(b.header.base_offset);
    BatchRecords records(b);
    RecordView v;
    uint64_t off = 0;
    uint64_t expect = b.header.base_offset;
    while (records.next(v, off)) {
      CHECK(off == expect);
      CHECK(test::OwnedRecord::from(v).same_content(test::sample_point(off)));
      ++expect;
    }
    CHECK(expect == b.header.end_offset());
  }
  CHECK_FALSE(reader.next_batch(b));  // stays stopped
  r.damage = rec.seen;
  r.valid_end = reader.valid_end();
  r.next_offset = reader.next_offset();
  r.claimed_end = reader.claimed_end_offset();
  r.torn = reader.torn();
  r.padded = reader.padded();
  r.skipped_spans = reader.skipped_spans();
  r.skipped_bytes = reader.skipped_bytes();
  r.lost_offsets = reader.lost_offsets();
  return r;
}

TEST_CASE("segment reader: intact segment reads back whole") {
  SegmentBuilder s;
  s.add_batch(3);
  s.add_batch(1);
  s.add_batch(5);
  Result r = read_all(s.bytes);
  CHECK(r.header_ok);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100, 103, 104});
  CHECK(r.damage.empty());
  CHECK(r.valid_end == s.bytes.size());
  CHECK(r.next_offset == 109);
}

TEST_CASE("segment reader: header only is a clean empty segment") {
  SegmentBuilder s;
  Result r = read_all(s.bytes);
  CHECK(r.header_ok);
  CHECK(r.batch_offsets.empty());
  CHECK(r.damage.empty());
  CHECK(r.next_offset == 100);
}

TEST_CASE("segment reader: truncated segment header") {
  SegmentBuilder s;
  for (size_t n : {size_t{0}, size_t{10}, kSegmentHeaderSize - 1}) {
    std::vector<uint8_t> cut(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n));
    Result r = read_all(cut);
    CHECK_FALSE(r.header_ok);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == 0);
    CHECK(r.damage[0].reason == "truncated segment header");
  }
}

TEST_CASE("segment reader: damaged segment header") {
  SegmentBuilder s;
  s.add_batch(2);
  SUBCASE("bad magic") {
    s.bytes[0] = 'X';
    CHECK(read_all(s.bytes).damage.at(0).reason == "bad segment magic");
  }
  SUBCASE("flipped bit under the checksum") {
    s.bytes[kSegBaseOffsetAt] ^= 0x01;
    CHECK(read_all(s.bytes).damage.at(0).reason == "segment header checksum mismatch");
  }
  Result r = read_all(s.bytes);
  CHECK_FALSE(r.header_ok);
  CHECK(r.batch_offsets.empty());
}

TEST_CASE("segment reader: torn last batch") {
  SegmentBuilder s;
  s.add_batch(2);
  s.add_batch(2);
  uint64_t last = s.add_batch(4);
  // Cut at every point inside the last batch: header torn or payload torn.
  for (uint64_t cut = last + 1; cut < s.bytes.size(); cut += 7) {
    std::vector<uint8_t> torn(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    Result r = read_all(torn);
    CHECK(r.batch_offsets == std::vector<uint64_t>{100, 102});
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == last);
    CHECK(r.valid_end == last);
    CHECK(r.next_offset == 104);
  }
}

TEST_CASE("segment reader: checksum mismatch in the middle") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t middle = s.add_batch(3);
  s.add_batch(2);
  s.bytes[middle + kBatchHeaderSize + 5] ^= 0x40;  // a payload byte
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100, 105});  // the damaged batch only is lost
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].pos == middle);
  CHECK(r.damage[0].reason == "batch checksum mismatch");
  CHECK(r.valid_end == s.bytes.size());
  CHECK(r.next_offset == 107);
  CHECK(r.skipped_spans == 1);
  CHECK(r.lost_offsets == 3);
  CHECK_FALSE(r.torn);
}

TEST_CASE("segment reader: garbage between two batches is skipped") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t at = s.bytes.size();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300; ++i) s.bytes.push_back(static_cast<uint8_t>(rng()));
  std::vector<uint8_t> tail;
  {
    SegmentBuilder rest(102);
    uint64_t from = rest.add_batch(3);
    tail.assign(rest.bytes.begin() + static_cast<std::ptrdiff_t>(from), rest.bytes.end());
  }
  s.bytes.insert(s.bytes.end(), tail.begin(), tail.end());
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100, 102});
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].pos == at);
  CHECK(r.skipped_bytes == 300);
  CHECK(r.lost_offsets == 0);
}

TEST_CASE("segment reader: with kStop the first damage ends the segment") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t middle = s.add_batch(3);
  s.add_batch(2);
  s.bytes[middle + kBatchHeaderSize + 5] ^= 0x40;
  Recorder rec;
  SegmentReader reader(s.bytes, &rec, SegmentReader::OnDamage::kStop);
  SegmentHeader h;
  REQUIRE(reader.read_header(h));
  BatchView b;
  CHECK(reader.next_batch(b));
  CHECK_FALSE(reader.next_batch(b));
  CHECK(reader.torn());
  CHECK(reader.valid_end() == middle);
  CHECK(rec.seen.size() == 1);
}

TEST_CASE("segment reader: a torn last batch with a sound header claims its offsets") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t last = s.add_batch(3);
  s.bytes.resize(s.bytes.size() - 4);
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100});
  CHECK(r.torn);
  CHECK(r.valid_end == last);
  CHECK(r.next_offset == 102);
  CHECK(r.claimed_end == 105);  // 102..104 were handed out: never again
}

TEST_CASE("segment reader: checksum mismatch in a header field") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t second = s.add_batch(3);
  s.bytes[second + kBatchBaseOffsetAt] ^= 0x02;
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100});
  CHECK(r.damage.at(0).reason == "batch checksum mismatch");
}

TEST_CASE("segment reader: length past the end of the file") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t last = s.add_batch(2);
  uint32_t len = coding::get_u32(s.bytes.data() + last);
  coding::put_u32(s.bytes.data() + last, len + 100);
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100});
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].pos == last);
  // The payload-length field disagrees first; either way the batch is not trusted.
  CHECK(!r.damage[0].reason.empty());
}

TEST_CASE("segment reader: length past the end with a consistent header") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t last = s.add_batch(2);
  uint32_t len = coding::get_u32(s.bytes.data() + last);
  coding::put_u32(s.bytes.data() + last + kBatchLengthAt, len + 100);
  coding::put_u32(s.bytes.data() + last + kBatchPayloadLengthAt,
                  len + 100 - static_cast<uint32_t>(kBatchHeaderSize));
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100});
  CHECK(r.damage.at(0).reason == "batch runs past the end of the file");
}

TEST_CASE("segment reader: zero-filled tail") {
  SegmentBuilder s;
  s.add_batch(2);
  s.add_batch(2);
  uint64_t end = s.bytes.size();
  SUBCASE("longer than a batch header") {
    s.bytes.resize(end + 4096, 0);
  }
  SUBCASE("shorter than a batch header") {
    s.bytes.resize(end + 20, 0);
  }
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100, 102});
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].pos == end);
  CHECK(r.valid_end == end);
}

TEST_CASE("segment reader: direct I/O padding up to a block boundary is a clean end") {
  SegmentBuilder s;
  s.add_batch(2);
  s.add_batch(2);
  const uint64_t end = s.bytes.size();
  const uint64_t block_end = (end / kDirectAlign + 1) * kDirectAlign;
  SUBCASE("zeros to the boundary") {
    s.bytes.resize(block_end, 0);
    Result r = read_all(s.bytes);
    CHECK(r.batch_offsets == std::vector<uint64_t>{100, 102});
    CHECK(r.damage.empty());
    CHECK_FALSE(r.torn);
    CHECK(r.padded);
    CHECK(r.valid_end == end);
    CHECK(r.next_offset == 104);
  }
  SUBCASE("a whole block of zeros more is not padding") {
    s.bytes.resize(block_end + kDirectAlign, 0);
    Result r = read_all(s.bytes);
    CHECK(r.torn);
    CHECK_FALSE(r.padded);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == end);
  }
  SUBCASE("zeros that stop short of a boundary are not padding") {
    s.bytes.resize(block_end - 1, 0);
    Result r = read_all(s.bytes);
    CHECK(r.torn);
    CHECK_FALSE(r.padded);
  }
  SUBCASE("one byte that is not zero is damage") {
    s.bytes.resize(block_end, 0);
    s.bytes[block_end - 7] = 1;
    Result r = read_all(s.bytes);
    CHECK(r.torn);
    CHECK_FALSE(r.padded);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == end);
  }
  SUBCASE("read from a position an index gave, the boundary is the file's") {
    s.bytes.resize(block_end, 0);
    std::vector<uint8_t> rest(s.bytes.begin() + kSegmentHeaderSize, s.bytes.end());
    SegmentReader reader(rest, nullptr);
    reader.resume(kSegmentHeaderSize, 100);
    BatchView b;
    int batches = 0;
    while (reader.next_batch(b)) ++batches;
    CHECK(batches == 2);
    CHECK(reader.padded());
    CHECK_FALSE(reader.damaged());
    CHECK(reader.valid_end() == end);
  }
}

TEST_CASE("segment reader: flipped length bit") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t second = s.add_batch(3);
  s.add_batch(1);
  for (int bit = 0; bit < 32; ++bit) {
    auto b = s.bytes;
    b[second + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    Result r = read_all(b);
    CHECK(r.batch_offsets == std::vector<uint64_t>{100, 105});  // found again past the damage
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == second);
    CHECK(r.lost_offsets == 3);
  }
}

TEST_CASE("segment reader: offsets going backwards") {
  SegmentBuilder a(100);
  a.add_batch(5);  // 100..104
  SegmentBuilder b(100);
  uint64_t at = b.add_batch(2);
  std::vector<uint8_t> bytes = a.bytes;
  bytes.insert(bytes.end(), b.bytes.begin() + static_cast<std::ptrdiff_t>(at), b.bytes.end());
  Recorder rec;
  SegmentReader reader(bytes, &rec);
  SegmentHeader h;
  REQUIRE(reader.read_header(h));
  BatchView v;
  CHECK(reader.next_batch(v));
  CHECK_FALSE(reader.next_batch(v));
  CHECK(rec.seen.at(0).reason == "batch offsets go backwards");
}

TEST_CASE("segment reader: a batch flagged compressed that does not decompress") {
  for (uint8_t codec : {kCompressionZstd, kCompressionLz4, uint8_t{5}}) {
    SegmentBuilder s;
    uint64_t at = s.add_batch(2);
    // Set the codec bits and re-seal so the CRC is right: the payload is plain records.
    s.bytes[at + kBatchFlagsAt] = codec;
    coding::put_u32(s.bytes.data() + at + kBatchCrcAt,
                    crc32c::value(s.bytes.data() + at + kBatchCrcFrom, s.bytes.size() - at - kBatchCrcFrom));
    Result r = read_all(s.bytes);
    CHECK(r.batch_offsets.empty());
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == at);
  }
}

TEST_CASE("segment reader: a record count that disagrees with the payload") {
  SegmentBuilder s;
  uint64_t at = s.add_batch(3);
  coding::put_u32(s.bytes.data() + at + kBatchCountAt, 4);
  coding::put_u32(s.bytes.data() + at + kBatchCrcAt,
                  crc32c::value(s.bytes.data() + at + kBatchCrcFrom, s.bytes.size() - at - kBatchCrcFrom));
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets.empty());
  CHECK(r.damage.at(0).reason == "malformed record in batch");
}

// Re-checksums a batch after a header field was changed on purpose, so the
// reader has to catch the field itself, not the CRC.
void reseal(std::vector<uint8_t>& bytes, uint64_t at, uint32_t len) {
  coding::put_u32(bytes.data() + at + kBatchCrcAt,
                  crc32c::value(bytes.data() + at + kBatchCrcFrom, len - kBatchCrcFrom));
}

TEST_CASE("segment reader: empty file") {
  Result r = read_all({});
  CHECK_FALSE(r.header_ok);
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].pos == 0);
  CHECK(r.valid_end == 0);
}

TEST_CASE("segment reader: truncated batch header and truncated payload") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t last = s.add_batch(3);
  for (uint64_t keep : {last + kBatchHeaderSize - 1, last + kBatchHeaderSize, s.bytes.size() - 1}) {
    std::vector<uint8_t> cut(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(keep));
    Result r = read_all(cut);
    CHECK(r.batch_offsets == std::vector<uint64_t>{100});
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == last);
    CHECK(r.valid_end == last);
  }
}

TEST_CASE("segment reader: length above the maximum, even with a valid checksum") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t last = s.add_batch(2);
  uint32_t len = coding::get_u32(s.bytes.data() + last);
  uint32_t huge = kMaxBatchLength + 8;
  coding::put_u32(s.bytes.data() + last + kBatchLengthAt, huge);
  coding::put_u32(s.bytes.data() + last + kBatchPayloadLengthAt,
                  huge - static_cast<uint32_t>(kBatchHeaderSize));
  reseal(s.bytes, last, len);
  s.bytes.resize(last + huge, 0);  // even with the bytes there, the length is refused
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100});
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].pos == last);
  CHECK(r.valid_end == last);
}

TEST_CASE("segment reader: zero-length batch") {
  SegmentBuilder s;
  s.add_batch(2);
  uint64_t end = s.bytes.size();
  SUBCASE("length field zero") {
    std::vector<uint8_t> zero(kBatchHeaderSize, 0);
    s.bytes.insert(s.bytes.end(), zero.begin(), zero.end());
  }
  SUBCASE("a well-formed header with no records and no payload") {
    std::vector<uint8_t> batch(kBatchHeaderSize);
    BatchHeader h;
    h.length = static_cast<uint32_t>(kBatchHeaderSize);
    h.base_offset = 102;
    h.record_count = 0;
    seal_batch(h, batch.data());
    s.bytes.insert(s.bytes.end(), batch.begin(), batch.end());
  }
  s.add_batch(1);  // found past the damage
  Result r = read_all(s.bytes);
  CHECK(r.batch_offsets == std::vector<uint64_t>{100, 102});
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].pos == end);
  CHECK(r.valid_end == s.bytes.size());
  CHECK(r.skipped_bytes == kBatchHeaderSize);
}

TEST_CASE("segment reader: 1 to 1024 random bytes appended, many seeds") {
  SegmentBuilder s;
  s.add_batch(2);
  s.add_batch(3);
  uint64_t end = s.bytes.size();
  std::mt19937_64 rng(4242);
  for (int seed = 0; seed < 2000; ++seed) {
    std::vector<uint8_t> b = s.bytes;
    size_t n = 1 + rng() % 1024;
    for (size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(rng()));
    Result r = read_all(b);
    CHECK(r.batch_offsets == std::vector<uint64_t>{100, 102});
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].pos == end);
    CHECK(r.valid_end == end);
    CHECK(r.next_offset == 105);
  }
}

TEST_CASE("segment file names") {
  CHECK(segment_file_name(0) == "00000000000000000000.seg");
  CHECK(segment_file_name(1234) == "00000000000000001234.seg");
  CHECK(parse_segment_file_name("00000000000000001234.seg") == 1234u);
  CHECK(parse_segment_file_name(segment_file_name(UINT64_MAX)) == UINT64_MAX);
  CHECK_FALSE(parse_segment_file_name("0000000000000000123.seg"));
  CHECK_FALSE(parse_segment_file_name("00000000000000001234.idx"));
  CHECK_FALSE(parse_segment_file_name("0000000000000000123x.seg"));
  CHECK_FALSE(parse_segment_file_name("99999999999999999999.seg"));  // > 2^64-1
}

}  // namespace
}  // namespace ringest
