// Per-batch compression: the codecs on their own, and the log writing
// compressed batches that read back record for record.
#include "sinks/compression.h"

#include <doctest/doctest.h>

#include <random>

#include "common/clock.h"
#include "sinks/partition_log.h"
#include "sinks/record_codec.h"
#include "sinks/segment_format.h"
#include "test_util.h"

namespace ringest {
namespace {

std::vector<uint8_t> records_payload(uint64_t n) {
  std::vector<test::OwnedRecord> records;
  for (uint64_t i = 0; i < n; ++i) records.push_back(test::sample_point(i));
  return test::encode_payload(records);
}

TEST_CASE_TEMPLATE_DEFINE("compression: codec round trip and damage", T, codec_round_trip) {
  Compression c = T::value;
  std::vector<uint8_t> plain = records_payload(200);
  std::vector<uint8_t> packed, back;
  REQUIRE(PayloadCompressor().compress(c, plain, packed));
  CHECK(packed.size() < plain.size() * 3 / 4);
  // One compressor serves batch after batch (its zstd context is kept): the
  // same bytes as a fresh one each time, whatever it compressed in between.
  PayloadCompressor reused;
  for (int i = 0; i < 3; ++i) {
    std::vector<uint8_t> again, other;
    REQUIRE(reused.compress(c, plain, again));
    CHECK(again == packed);
    REQUIRE(reused.compress(c, records_payload(50 + i), other));
  }
  const char* why = nullptr;
  REQUIRE(decompress_payload(c, packed, segfmt::kMaxPayloadLength, back, &why));
  CHECK(back == plain);
  // A stated length above the limit, a cut body, flipped bytes: refused, never trusted.
  CHECK_FALSE(decompress_payload(c, packed, plain.size() - 1, back, &why));
  CHECK_FALSE(decompress_payload(c, std::span(packed).first(packed.size() / 2), segfmt::kMaxPayloadLength,
                                 back, &why));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    auto bad = packed;
    bad[4 + rng() % (bad.size() - 4)] ^= static_cast<uint8_t>(1 + rng() % 255);
    // Either refused, or (rarely, for lz4 literals) inflated to the stated length:
    // the batch CRC is what catches that, before decompression is ever tried.
    if (decompress_payload(c, bad, segfmt::kMaxPayloadLength, back, &why)) CHECK(back.size() == plain.size());
  }
  // Random bytes do not shrink: stored uncompressed.
  std::vector<uint8_t> noise(4096);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  CHECK_FALSE(PayloadCompressor().compress(c, noise, packed));
}
struct Zstd {
  static constexpr Compression value = Compression::kZstd;
};
struct Lz4 {
  static constexpr Compression value = Compression::kLz4;
};
TEST_CASE_TEMPLATE_APPLY(codec_round_trip, std::tuple<Zstd, Lz4>);

TEST_CASE("compression: names") {
  Compression c;
  CHECK((parse_compression("zstd", c) && c == Compression::kZstd));
  CHECK((parse_compression("lz4", c) && c == Compression::kLz4));
  CHECK((parse_compression("none", c) && c == Compression::kNone));
  CHECK_FALSE(parse_compression("gzip", c));
}

// Batch flags as stored, by reading the segment through the reader's visitor.
class Flags : public LogVisitor {
 public:
  void on_batch(const SegmentFile&, const BatchView& b) override { flags.push_back(b.header.flags); }
  void on_record(uint32_t, uint64_t, const RecordView&) override {}
  void on_damage(const std::filesystem::path&, uint64_t, std::string_view) override { ++damage; }
  std::vector<uint8_t> flags;
  int damage = 0;
};

uint64_t write_log(const std::filesystem::path& dir, Compression c) {
  LogOptions o;
  o.dir = dir;
  o.compression = c;
  o.batch_bytes = 8192;
  RecoveryReport report;
  Status err;
  auto log = PartitionLog::open(o, report, err);
  REQUIRE(log != nullptr);
  for (uint64_t n = 0; n < 2000; ++n) {
    test::OwnedRecord r = n % 10 == 9 ? test::sample_raw(n) : test::sample_point(n);
    auto v = r.views();
    REQUIRE((r.kind == RecordKind::kRaw ? log->append_raw(v.origin, r.raw)
                                        : log->append_point(v.origin, v.point)));
    log->end_datagram();
    log->poll(mono_ns());
  }
  REQUIRE(log->close().ok());
  return log->probe().bytes_written.get();
}

TEST_CASE("compression: the log writes compressed batches that read back record for record") {
  test::TempDir plain_dir;
  uint64_t plain = write_log(plain_dir.path(), Compression::kNone);
  for (Compression c : {Compression::kZstd, Compression::kLz4}) {
    CAPTURE(to_string(c));
    test::TempDir dir;
    uint64_t packed = write_log(dir.path(), c);
    CHECK(packed < plain * 3 / 4);
    test::ReadBack back = test::read_back(dir.path());
    CHECK(back.damage.empty());
    REQUIRE(back.records.size() == 2000);
    for (const test::OwnedRecord& r : back.records) {
      CHECK(r.same_content(r.offset % 10 == 9 ? test::sample_raw(r.offset) : test::sample_point(r.offset)));
    }
    std::vector<PartitionDir> parts;
    REQUIRE(list_partitions(dir.path(), parts).ok());
    Flags f;
    REQUIRE(read_partition(parts.at(0), f).ok());
    CHECK(f.damage == 0);
    REQUIRE(!f.flags.empty());
    for (uint8_t flag : f.flags) CHECK((flag & segfmt::kCompressionMask) == static_cast<uint8_t>(c));
  }
}

}  // namespace
}  // namespace ringest
