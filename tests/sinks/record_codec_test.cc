#include "sinks/record_codec.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "sinks/coding.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::OwnedRecord;

std::vector<uint8_t> encode(const OwnedRecord& r) {
  auto v = r.views();
  std::vector<uint8_t> out;
  if (r.kind == RecordKind::kRaw) {
    size_t body = raw_body_size(v.origin, r.raw);
    out.resize(record_size(body));
    CHECK(encode_raw_record(out.data(), body, v.origin, r.raw) == out.data() + out.size());
  } else {
    size_t body = point_body_size(v.origin, v.point);
    out.resize(record_size(body));
    CHECK(encode_point_record(out.data(), body, v.origin, v.point) == out.data() + out.size());
  }
  return out;
}

bool decodes(std::vector<uint8_t> bytes) {
  RecordDecoder d;
  RecordView v;
  std::span<const uint8_t> in(bytes);
  return d.decode(in, v);
}

OwnedRecord round_trip(const OwnedRecord& r) {
  std::vector<uint8_t> bytes = encode(r);
  RecordDecoder d;
  RecordView v;
  std::span<const uint8_t> in(bytes);
  REQUIRE(d.decode(in, v));
  CHECK(in.empty());
  return OwnedRecord::from(v);
}

TEST_CASE("record codec: point with every field type round-trips") {
  OwnedRecord r = test::sample_point(6);  // IPv4, three tags
  OwnedRecord back = round_trip(r);
  CHECK(back.same_content(r));
  REQUIRE(back.fields.size() == 5);
  CHECK(back.fields[2].u == UINT64_MAX - 6);
  CHECK(back.tags[2].first == "a");  // order as given, not sorted
}

TEST_CASE("record codec: IPv6 origin round-trips") {
  OwnedRecord r = test::sample_point(7);
  REQUIRE(r.source.family == SourceAddress::kIPv6);
  CHECK(round_trip(r).same_content(r));
}

TEST_CASE("record codec: no source address round-trips") {
  OwnedRecord r = test::sample_point(8);
  r.source = SourceAddress{};
  CHECK(round_trip(r).same_content(r));
}

TEST_CASE("record codec: extreme values round-trip") {
  OwnedRecord r = test::sample_point(1);
  r.time_ns = std::numeric_limits<int64_t>::min();
  r.fields[0].f = -0.0;
  r.fields[1].i = std::numeric_limits<int64_t>::min();
  r.fields[2].u = 0;
  r.fields[3].s = std::string(300, 'x');  // two-byte varint length
  OwnedRecord back = round_trip(r);
  CHECK(back.same_content(r));
  CHECK(std::signbit(back.fields[0].f));
  r.fields[0].f = std::numeric_limits<double>::quiet_NaN();
  CHECK(std::isnan(round_trip(r).fields[0].f));
}

TEST_CASE("record codec: empty point round-trips") {
  OwnedRecord r;
  CHECK(round_trip(r).same_content(r));
}

TEST_CASE("record codec: raw record round-trips and takes the receive time") {
  OwnedRecord r = test::sample_raw(3);
  OwnedRecord back = round_trip(r);
  CHECK(back.same_content(r));
  CHECK(back.time_ns == r.receive_ns);
  r.raw.clear();
  CHECK(round_trip(r).same_content(r));
}

TEST_CASE("record codec: records back to back decode in order") {
  std::vector<uint8_t> all;
  for (uint64_t n = 0; n < 10; ++n) {
    auto b = encode(n % 4 == 3 ? test::sample_raw(n) : test::sample_point(n));
    all.insert(all.end(), b.begin(), b.end());
  }
  RecordDecoder d;
  RecordView v;
  std::span<const uint8_t> in(all);
  for (uint64_t n = 0; n < 10; ++n) {
    REQUIRE(d.decode(in, v));
    CHECK(OwnedRecord::from(v).same_content(n % 4 == 3 ? test::sample_raw(n) : test::sample_point(n)));
  }
  CHECK(in.empty());
  CHECK_FALSE(d.decode(in, v));
}

TEST_CASE("record codec: every truncation is rejected") {
  for (const OwnedRecord& r : {test::sample_point(2), test::sample_point(3), test::sample_raw(1)}) {
    std::vector<uint8_t> bytes = encode(r);
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      CHECK_FALSE(decodes(cut));
    }
  }
}

// The body starts after a one-byte length for these small records.
TEST_CASE("record codec: malformed bodies are rejected") {
  std::vector<uint8_t> good = encode(test::sample_point(4));
  REQUIRE(good[0] < 0x80);
  REQUIRE(good[3 + 1] == 4);  // IPv4 family byte: length, kind, listener(2), family
  CHECK(decodes(good));

  SUBCASE("unknown kind") {
    auto b = good;
    b[1] = 2;
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("unknown address family") {
    auto b = good;
    b[4] = 5;
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("body longer than its bytes") {
    auto b = good;
    b[0] = static_cast<uint8_t>(b[0] + 1);
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("bytes left over in the body") {
    auto b = good;
    b[0] = static_cast<uint8_t>(b[0] + 1);
    b.push_back(0);
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("unknown field type and bad bool") {
    OwnedRecord r;
    r.fields.push_back(test::OwnedField{"k", FieldType::kBool, 0, 0, 0, true, ""});
    auto b = encode(r);
    REQUIRE(b.back() == 1);
    b.back() = 2;  // bool must be 0 or 1
    CHECK_FALSE(decodes(b));
    b.back() = 1;
    b[b.size() - 2] = 9;  // field type
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("tag count larger than the body could hold") {
    OwnedRecord r;
    auto b = encode(r);
    // empty point: ... time(8) measurement-len(1)=0 tagcount(1)=0 fieldcount(1)=0
    b[b.size() - 2] = 0x7f;
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("over-long varint length prefix") {
    std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_FALSE(decodes(b));
    std::vector<uint8_t> big = {0xff, 0xff, 0xff, 0xff, 0x7f};  // > 32 bits
    CHECK_FALSE(decodes(big));
  }
}

TEST_CASE("record codec: size functions match what encoding writes") {
  for (uint64_t n = 0; n < 50; ++n) {
    OwnedRecord r = test::sample_point(n);
    r.measurement.assign(n * 7, 'm');  // cross varint length boundaries
    auto v = r.views();
    size_t body = point_body_size(v.origin, v.point);
    std::vector<uint8_t> buf(record_size(body) + 16, 0xAB);
    uint8_t* end = encode_point_record(buf.data(), body, v.origin, v.point);
    CHECK(static_cast<size_t>(end - buf.data()) == record_size(body));
    CHECK(buf[record_size(body)] == 0xAB);  // nothing written past the end
  }
}

TEST_CASE("varint32: boundaries") {
  for (uint32_t v : {0u, 1u, 127u, 128u, 16383u, 16384u, 0xFFFFFFFFu}) {
    uint8_t buf[5];
    uint8_t* end = coding::put_varint32(buf, v);
    CHECK(static_cast<size_t>(end - buf) == coding::varint32_length(v));
    uint32_t got = 0;
    CHECK(coding::get_varint32(buf, end, &got) == end);
    CHECK(got == v);
    if (end - buf > 1) CHECK(coding::get_varint32(buf, end - 1, &got) == nullptr);
  }
}

}  // namespace
}  // namespace ringest
