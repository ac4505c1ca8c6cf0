#include "sinks/record_codec.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "sinks/coding.h"
#include "sinks/segment_format.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::OwnedRecord;

// One record as the first of a batch.
std::vector<uint8_t> encode(const OwnedRecord& r) { return test::encode_payload({r}); }

std::vector<OwnedRecord> decode_all(const std::vector<uint8_t>& payload, size_t n) {
  RecordDecoder d;
  d.begin_batch(segfmt::kFormatVersion);
  RecordView v;
  std::span<const uint8_t> in(payload);
  std::vector<OwnedRecord> out;
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(d.decode(in, v));
    out.push_back(OwnedRecord::from(v));
  }
  CHECK(in.empty());
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

TEST_CASE("record codec: a Unix-socket sender's pid and uid round-trip, and repeat as the same origin") {
  OwnedRecord a = test::sample_point(9);
  a.source = SourceAddress::unix_peer(4242, 1000);
  OwnedRecord b = a;
  b.source = SourceAddress::unix_peer(4243, 1000);
  std::vector<uint8_t> payload = test::encode_payload({a, a, b});
  std::vector<OwnedRecord> back = decode_all(payload, 3);
  CHECK(back[0].same_content(a));
  CHECK(back[1].same_content(a));
  CHECK(back[2].same_content(b));
  CHECK(back[2].source.unix_pid() == 4243);
  CHECK(back[2].source.unix_uid() == 1000);
  // The second record says "same origin" in its head byte instead of
  // repeating family, 8 address bytes and port: the three encode smaller
  // than three with different senders would.
  OwnedRecord c = b;
  c.source = SourceAddress::unix_peer(4244, 1000);
  CHECK(payload.size() < test::encode_payload({a, b, c}).size());
}

TEST_CASE("record codec: a change in any part of the origin is stored, not taken as the same origin") {
  OwnedRecord a = test::sample_point(6);  // IPv4
  REQUIRE(a.source.family == SourceAddress::kIPv4);
  std::vector<OwnedRecord> records = {a, a};
  auto with = [&](auto change) {
    OwnedRecord r = records.back();
    change(r);
    records.push_back(r);
    records.push_back(r);  // and again: now the same origin
  };
  with([](OwnedRecord& r) { r.listener += 1; });
  with([](OwnedRecord& r) { r.source.port += 1; });
  with([](OwnedRecord& r) { r.source.addr[0] ^= 1; });
  with([](OwnedRecord& r) { r.source.addr[3] ^= 1; });
  with([](OwnedRecord& r) { r.source.family = SourceAddress::kIPv6; });  // the same first 4 bytes
  with([](OwnedRecord& r) { r.source.addr[15] ^= 1; });
  with([](OwnedRecord& r) { r.source.addr[8] ^= 1; });
  with([](OwnedRecord& r) { r.source = SourceAddress::unix_peer(7, 1000); });
  with([](OwnedRecord& r) { r.source = SourceAddress::unix_peer(7, 1001); });
  with([](OwnedRecord& r) { r.source = SourceAddress{}; });
  with([](OwnedRecord& r) { r.listener += 1; });
  std::vector<OwnedRecord> back = decode_all(test::encode_payload(records), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    CAPTURE(i);
    CHECK(back[i].listener == records[i].listener);
    CHECK(back[i].source == records[i].source);
  }
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
  std::vector<OwnedRecord> records;
  for (uint64_t n = 0; n < 10; ++n) records.push_back(n % 4 == 3 ? test::sample_raw(n) : test::sample_point(n));
  std::vector<uint8_t> all = test::encode_payload(records);
  std::vector<OwnedRecord> back = decode_all(all, records.size());
  for (size_t i = 0; i < records.size(); ++i) CHECK(back[i].same_content(records[i]));
  RecordDecoder d;
  RecordView v;
  std::span<const uint8_t> none;
  CHECK_FALSE(d.decode(none, v));
}

TEST_CASE("record codec: what repeats in a batch is stored once") {
  OwnedRecord r = test::sample_point(7);  // IPv6: a long origin
  size_t one = encode(r).size();
  size_t two = test::encode_payload({r, r}).size();
  // The second: the same origin, strings by reference, no time difference.
  size_t second = two - one;
  size_t strings = r.measurement.size() + r.fields[3].s.size();
  for (const auto& [k, v] : r.tags) strings += k.size() + v.size();
  for (const auto& f : r.fields) strings += f.key.size();
  INFO("first " << one << " bytes, second " << second);
  CHECK(second + strings + 16 + 2 <= one);
  CHECK(second <= 50);
  std::vector<OwnedRecord> back = decode_all(test::encode_payload({r, r, r}), 3);
  for (const OwnedRecord& b : back) CHECK(b.same_content(r));
}

TEST_CASE("record codec: strings first stored in a long record are referred to from the records after it") {
  // A record's body is written after a one-byte length prefix and moved when
  // it turns out longer (128 bytes and up): the strings it defines move with it.
  auto point = [](std::string padding) {
    OwnedRecord r;
    r.measurement = "cpu";
    r.tags = {{"host", "web-1"}, {"padding", std::move(padding)}};
    test::OwnedField f;
    f.key = "value";
    f.f = 1.5;
    r.fields.push_back(f);
    return r;
  };
  const OwnedRecord after = point("x");  // its other strings: references to the record before
  const size_t behind_short = test::encode_payload({point(""), after}).size() - encode(point("")).size();
  for (size_t pad : {0, 60, 100, 127, 128, 300, 20000}) {
    const OwnedRecord r = point(std::string(pad, 'p'));  // over 64 bytes: stored where it occurs
    std::vector<OwnedRecord> records{r, after, r, after};
    std::vector<OwnedRecord> back = decode_all(test::encode_payload(records), records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      INFO("pad " << pad << " record " << i);
      CHECK(back[i].same_content(records[i]));
    }
    // ... and by reference: `after` takes as few bytes behind a long record
    // as behind a short one.
    const size_t behind = test::encode_payload({r, after}).size() - encode(r).size();
    CHECK_MESSAGE(behind == behind_short, "pad " << pad);
  }
}

namespace {

// One point whose measurement is `name`, appended to `out` by `e`.
void encode_name(RecordEncoder& e, std::vector<uint8_t>& out, std::string_view name) {
  PointView p;
  p.measurement = name;
  Origin o;
  size_t at = out.size();
  out.resize(at + e.point_bound(o, p));
  out.resize(at + e.encode_point(out.data(), at, o, p));
}

std::vector<std::string> decode_names(const std::vector<uint8_t>& payload) {
  RecordDecoder d;
  d.begin_batch(segfmt::kFormatVersion);
  std::span<const uint8_t> in(payload);
  std::vector<std::string> names;
  RecordView v;
  while (!in.empty()) {
    if (!d.decode(in, v)) {
      names.push_back("<undecodable>");
      break;
    }
    names.emplace_back(v.kind == RecordKind::kRaw ? "<raw>" : v.point.measurement);
  }
  return names;
}

}  // namespace

TEST_CASE("record codec: a hint for another string of the same slot, or from an earlier batch, is not taken") {
  // Hints are kept by address and length, 64 of them: "alpha" at buf+64 and
  // "alph" at buf+129 share one ((64 ^ 5) % 64 == (129 ^ 4) % 64). "alph"
  // matches the first four bytes of "alpha": only the length tells them apart.
  alignas(64) char buf[256] = {};
  std::memcpy(buf + 64, "alpha", 5);
  std::memcpy(buf + 129, "alph", 4);
  const std::string_view alpha(buf + 64, 5), alph(buf + 129, 4);
  RecordEncoder e;
  e.reset();
  std::vector<uint8_t> first;
  encode_name(e, first, alpha);
  encode_name(e, first, alph);
  encode_name(e, first, alpha);
  CHECK(decode_names(first) == std::vector<std::string>{"alpha", "alph", "alpha"});

  // The next batch holds the bytes "alpha" exactly where the last one defined
  // it, in a raw record: a hint from the earlier batch would match them and
  // refer to a string this batch never defined.
  const size_t alpha_at = std::string_view(reinterpret_cast<const char*>(first.data()), first.size()).find("alpha");
  REQUIRE(alpha_at != std::string_view::npos);
  bool aligned = false;
  for (size_t pad = 0; pad < 32 && !aligned; ++pad) {
    e.reset();
    std::vector<uint8_t> second;
    std::string raw(pad, '-');
    raw += "alpha";
    Origin o;
    second.resize(e.raw_bound(o, raw));
    second.resize(e.encode_raw(second.data(), 0, o, raw));
    if (second.size() < alpha_at + 5 ||
        std::memcmp(second.data() + alpha_at, "alpha", 5) != 0)
      continue;
    aligned = true;
    encode_name(e, second, alpha);
    CHECK(decode_names(second) == std::vector<std::string>{"<raw>", "alpha"});
  }
  CHECK(aligned);
}

TEST_CASE("record codec: a float with an integer value takes a varint, and comes back a float") {
  OwnedRecord r;
  r.fields.push_back(test::OwnedField{"v", FieldType::kFloat, 1.0, 0, 0, false, ""});
  size_t small = encode(r).size();
  r.fields[0].f = 1.5;
  CHECK(encode(r).size() == small + 7);  // eight IEEE bytes instead of one varint byte
  for (double f : {0.0, -0.0, 1.0, -1.0, -2.5, 123456789.0, 9007199254740991.0, -9007199254740991.0,
                   9007199254740992.0, -9007199254740992.0, -1e300, 1e-300, 9.3e18,
                   std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    r.fields[0].f = f;
    OwnedRecord back = round_trip(r);
    REQUIRE(back.fields.size() == 1);
    CHECK(back.fields[0].type == FieldType::kFloat);
    CHECK(back.fields[0].f == f);
    CHECK(std::signbit(back.fields[0].f) == std::signbit(f));
  }
}

TEST_CASE("record codec: long strings and a full dictionary are stored where they occur") {
  OwnedRecord r;
  r.measurement = std::string(65, 'm');  // past the longest string the dictionary takes
  std::vector<uint8_t> twice = test::encode_payload({r, r});
  std::string_view bytes(reinterpret_cast<const char*>(twice.data()), twice.size());
  size_t first = bytes.find(r.measurement);
  REQUIRE(first != std::string_view::npos);
  CHECK(bytes.find(r.measurement, first + r.measurement.size()) != std::string_view::npos);

  // More distinct strings than a batch's dictionary holds: all still round-trip.
  std::vector<OwnedRecord> many;
  for (int i = 0; i < 5000; ++i) {
    OwnedRecord p;
    p.measurement = "m" + std::to_string(i);
    many.push_back(p);
  }
  many.push_back(many[10]);    // defined early: a reference
  many.push_back(many[4900]);  // came after the dictionary was full: a literal again
  std::vector<uint8_t> payload = test::encode_payload(many);
  std::vector<OwnedRecord> back = decode_all(payload, many.size());
  for (size_t i = 0; i < many.size(); ++i) CHECK(back[i].measurement == many[i].measurement);
}

TEST_CASE("record codec: strings the hash does not tell apart cost a bounded lookup, and all round-trip") {
  // 40-byte names that differ only in bytes 8-11, which the encoder's hash
  // does not read (it reads the first, middle and last eight): every one
  // lands on the same slot. The first 16 are defined, one slot each; a
  // lookup looks at no more slots than that, so the rest are stored as
  // literals, however many there are.
  std::vector<OwnedRecord> many;
  for (int i = 0; i < 200; ++i) {
    OwnedRecord p;
    char middle[5];
    std::snprintf(middle, sizeof middle, "%04d", i);
    p.measurement = "prefix--" + std::string(middle) + std::string(28, 's');
    REQUIRE(p.measurement.size() == 40);
    many.push_back(p);
  }
  const size_t n = many.size();
  for (size_t i = 0; i < n; ++i) many.push_back(many[i]);  // each again
  std::vector<uint8_t> payload = test::encode_payload(many);
  std::vector<OwnedRecord> back = decode_all(payload, many.size());
  for (size_t i = 0; i < many.size(); ++i) CHECK(back[i].measurement == many[i].measurement);
  // Each name's bytes are stored twice (a literal each time), except the 16
  // defined ones, stored once.
  std::string_view bytes(reinterpret_cast<const char*>(payload.data()), payload.size());
  size_t stored_once = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t first = bytes.find(many[i].measurement);
    REQUIRE(first != std::string_view::npos);
    if (bytes.find(many[i].measurement, first + 1) == std::string_view::npos) ++stored_once;
  }
  CHECK(stored_once == 16);
}

TEST_CASE("record codec: a batch's references do not reach into another batch") {
  OwnedRecord r = test::sample_point(4);
  std::vector<uint8_t> two = test::encode_payload({r, r});
  size_t first = encode(r).size();
  std::vector<uint8_t> second(two.begin() + static_cast<std::ptrdiff_t>(first), two.end());
  RecordDecoder d;
  d.begin_batch(segfmt::kFormatVersion);
  RecordView v;
  std::span<const uint8_t> in(two);
  REQUIRE(d.decode(in, v));
  d.begin_batch(segfmt::kFormatVersion);  // a new batch: the strings and origin above are gone
  CHECK_FALSE(d.decode(in, v));
  std::span<const uint8_t> alone(second);
  RecordDecoder fresh;
  CHECK_FALSE(fresh.decode(alone, v));
}

TEST_CASE("record codec: an unknown batch version decodes nothing") {
  std::vector<uint8_t> b = encode(test::sample_point(1));
  for (uint8_t version : {uint8_t{0}, static_cast<uint8_t>(segfmt::kFormatVersion + 1), uint8_t{255}}) {
    RecordDecoder d;
    d.begin_batch(version);
    RecordView v;
    std::span<const uint8_t> in(b);
    CHECK_FALSE(d.decode(in, v));
  }
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
  REQUIRE(good[3] == 4);  // IPv4 family byte: length, head, listener (one varint byte), family
  CHECK(decodes(good));

  SUBCASE("unknown kind or head bits") {
    auto b = good;
    b[1] = 2;
    CHECK_FALSE(decodes(b));
    b[1] = 0x08;
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("same origin as a record that is not there") {
    auto b = good;
    b[1] |= segfmt::kHeadSameOrigin;
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("unknown address family") {
    auto b = good;
    b[3] = 5;
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
  // Empty point: ... measurement (1) = 0, tag count (1) = 0, field count (1) = 0.
  SUBCASE("tag count larger than the body could hold") {
    auto b = encode(OwnedRecord{});
    b[b.size() - 2] = 0x7f;
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("a string reference the batch has not defined, and an unknown string kind") {
    auto b = encode(OwnedRecord{});
    REQUIRE(b[b.size() - 3] == 0);  // the empty measurement, a literal
    b[b.size() - 3] = 0 << 2 | segfmt::kStringRef;
    CHECK_FALSE(decodes(b));
    b[b.size() - 3] = 3;
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("an integral float out of the exact range") {
    OwnedRecord r;
    r.fields.push_back(test::OwnedField{"v", FieldType::kFloat, 2.0, 0, 0, false, ""});
    auto b = encode(r);
    REQUIRE(b[b.size() - 2] == segfmt::kTypeIntegralFloat);
    REQUIRE(b.back() == 4);  // zigzag(2)
    b.pop_back();
    uint8_t huge[10];
    uint8_t* end = coding::put_varint64(huge, coding::zigzag(int64_t{1} << 60));
    b.insert(b.end(), huge, end);
    b[0] = static_cast<uint8_t>(b.size() - 1);
    CHECK_FALSE(decodes(b));
  }
  SUBCASE("over-long varint length prefix") {
    std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_FALSE(decodes(b));
    std::vector<uint8_t> big = {0xff, 0xff, 0xff, 0xff, 0x7f};  // > 32 bits
    CHECK_FALSE(decodes(big));
  }
}

TEST_CASE("record codec: a record never takes more than its bound") {
  RecordEncoder e;
  e.reset();
  std::vector<uint8_t> buf;
  for (uint64_t n = 0; n < 200; ++n) {
    OwnedRecord r = n % 5 == 4 ? test::sample_raw(n) : test::sample_point(n);
    r.measurement.assign(n * 7 % 400, 'm');  // cross varint length boundaries
    if (n % 3 == 0) r.raw.assign(n * 13, 'r');
    auto v = r.views();
    size_t bound = r.kind == RecordKind::kRaw ? e.raw_bound(v.origin, r.raw) : e.point_bound(v.origin, v.point);
    size_t at = buf.size();
    buf.resize(at + bound + 16, 0xAB);
    size_t n_written = r.kind == RecordKind::kRaw ? e.encode_raw(buf.data(), at, v.origin, r.raw)
                                                  : e.encode_point(buf.data(), at, v.origin, v.point);
    CHECK(n_written <= bound);
    for (size_t i = at + bound; i < buf.size(); ++i) CHECK(buf[i] == 0xAB);  // nothing past the bound
    buf.resize(at + n_written);
  }
}

TEST_CASE("varint64 and zigzag: boundaries") {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35, UINT64_MAX}) {
    uint8_t buf[10];
    uint8_t* end = coding::put_varint64(buf, v);
    uint64_t got = 0;
    CHECK(coding::get_varint64(buf, end, &got) == end);
    CHECK(got == v);
    if (end - buf > 1) CHECK(coding::get_varint64(buf, end - 1, &got) == nullptr);
  }
  uint8_t over[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0};  // > 64 bits
  uint64_t got = 0;
  CHECK(coding::get_varint64(over, over + 11, &got) == nullptr);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, INT64_MIN, INT64_MAX}) CHECK(coding::unzigzag(coding::zigzag(v)) == v);
  CHECK(coding::zigzag(-1) == 1);
  CHECK(coding::zigzag(1) == 2);
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

namespace ringest {
namespace {

// Points as the StatsD parser gives them, with its names by Known id or, in
// `plain`, by their bytes alone.
struct KnownNamesCase {
  struct Point {
    std::string measurement, host;  // user strings
    Known type;
  };
  std::vector<Point> points;

  void add(std::string measurement, std::string host, Known type) {
    points.push_back({std::move(measurement), std::move(host), type});
  }

  // Every point encoded, a new batch at each index in `new_batch_at`; the
  // batches' payloads back to back.
  std::vector<uint8_t> encode(bool plain, const std::vector<size_t>& new_batch_at) const {
    RecordEncoder e;
    std::vector<uint8_t> out, batch;
    auto flush = [&] {
      out.insert(out.end(), batch.begin(), batch.end());
      batch.clear();
      e.reset();
    };
    e.reset();
    for (size_t i = 0; i < points.size(); ++i) {
      if (std::find(new_batch_at.begin(), new_batch_at.end(), i) != new_batch_at.end()) flush();
      const Point& pt = points[i];
      const std::string_view type_name = kKnownNames[static_cast<size_t>(pt.type)];
      std::array<Tag, 2> t{Tag{"host", pt.host}, Tag{"metric_type", type_name, Known::kMetricType, pt.type}};
      // A third field makes it no metric: it is stored in full (tests/sinks/metric_record_test.cc
      // has the metric records).
      std::array<Field, 3> f{Field::float_("value", 1.5).known(Known::kValue),
                             Field::bool_("delta", true).known(Known::kDelta), Field::int_("count", 2)};
      if (plain) {
        for (Tag& x : t) x.key_id = x.value_id = Known::kNone;
        for (Field& x : f) x.key_id = Known::kNone;
      }
      PointView p;
      p.measurement = pt.measurement;
      p.tags = t;
      p.fields = f;
      Origin o;
      o.receive_ns = 1'000 + static_cast<int64_t>(i);
      p.time_ns = o.receive_ns;
      size_t at = batch.size();
      batch.resize(at + e.point_bound(o, p));
      batch.resize(at + e.encode_point(batch.data(), at, o, p));
    }
    flush();
    return out;
  }
};

}  // namespace

TEST_CASE("record codec: names given by Known id are stored byte for byte as the same names given by bytes") {
  KnownNamesCase c;
  c.add("counter", "value", Known::kCounter);  // user strings equal to known names come first
  c.add("api.requests", "web-1", Known::kCounter);
  c.add("api.latency", "gauge", Known::kGauge);
  c.add("api.latency", "web-2", Known::kTiming);
  c.add("api.requests", "web-1", Known::kCounter);  // the next batch: defined again, not referred to
  c.add("api.requests", "web-1", Known::kGauge);
  // A batch whose dictionary fills with user strings before "set" first
  // comes: it is stored as a literal, each time.
  for (int i = 0; i < 1100; ++i) c.add("m" + std::to_string(i), "h" + std::to_string(i), Known::kCounter);
  c.add("late", "web-1", Known::kSet);
  c.add("late", "web-1", Known::kSet);
  const std::vector<size_t> batches{4, 6};
  std::vector<uint8_t> by_id = c.encode(false, batches), by_bytes = c.encode(true, batches);
  CHECK(by_id.size() == by_bytes.size());
  CHECK(by_id == by_bytes);
}

}  // namespace ringest
