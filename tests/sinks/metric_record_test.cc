// Format 3's metric records: a StatsD metric's point stored in its short form
// reads back as the same point the full form stores; any other point keeps the
// full form; a malformed metric record, or one in a batch of an older version,
// is rejected.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "daemon/formats/parser.h"
#include "sinks/record_codec.h"
#include "sinks/segment_format.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::OwnedRecord;

// A point copied with its parts, Known ids and all, or with the ids dropped.
struct HeldPoint {
  std::string measurement;
  std::vector<Tag> tags;  // views into the parser's datagram or constants
  std::vector<Field> fields;
  int64_t time_ns = 0;
  PointView view(bool plain) const {
    held_tags = tags;
    held_fields = fields;
    if (plain) {
      for (Tag& t : held_tags) t.key_id = t.value_id = Known::kNone;
      for (Field& f : held_fields) f.key_id = Known::kNone;
    }
    PointView p;
    p.measurement = measurement;
    p.tags = held_tags;
    p.fields = held_fields;
    p.time_ns = time_ns;
    return p;
  }
  mutable std::vector<Tag> held_tags;
  mutable std::vector<Field> held_fields;
};

class Collect final : public PointSink {
 public:
  void point(const PointView& p) override {
    HeldPoint h;
    h.measurement = std::string(p.measurement);
    h.tags.assign(p.tags.begin(), p.tags.end());
    h.fields.assign(p.fields.begin(), p.fields.end());
    h.time_ns = p.time_ns;
    points.push_back(std::move(h));
  }
  void reject(uint16_t, uint32_t, std::string_view text) override { rejected.emplace_back(text); }
  std::vector<HeldPoint> points;
  std::vector<std::string> rejected;
};

Origin origin() {
  Origin o;
  o.listener = 2;
  o.source.family = SourceAddress::kIPv4;
  o.source.addr[0] = 127;
  o.source.addr[3] = 1;
  o.source.port = 40000;
  o.receive_ns = 1'700'000'000'123'456'789;
  return o;
}

// One point as the only record of a batch.
std::vector<uint8_t> encode_one(const PointView& p) {
  RecordEncoder e;
  e.reset();
  std::vector<uint8_t> out(e.point_bound(origin(), p));
  out.resize(e.encode_point(out.data(), 0, origin(), p));
  return out;
}

// The kind in a lone record's head (its body is under 128 bytes).
uint8_t kind_of(const std::vector<uint8_t>& record) {
  REQUIRE(record.size() >= 2);
  REQUIRE(record[0] < 0x80);
  return record[1] & segfmt::kHeadKindMask;
}

bool decode_one(const std::vector<uint8_t>& bytes, OwnedRecord& out, uint8_t version = segfmt::kFormatVersion) {
  RecordDecoder d;
  d.begin_batch(version);
  RecordView v;
  std::span<const uint8_t> in(bytes);
  if (!d.decode(in, v) || !in.empty()) return false;
  out = OwnedRecord::from(v);
  return true;
}

std::vector<HeldPoint> parse_statsd(std::string_view datagram) {
  std::unique_ptr<Parser> parser = make_parser("statsd", ParserOptions{});
  Collect sink;
  parser->parse(datagram, ParseContext{origin().receive_ns}, sink);
  CHECK(sink.rejected.empty());
  return std::move(sink.points);
}

}  // namespace

TEST_CASE("metric records: every StatsD metric reads back as the point stored in full, and is shorter") {
  const std::vector<HeldPoint> points = parse_statsd(
      "api.http.requests:3|c\n"
      "api.http.requests:2.5|c|@0.1\n"
      "queue.depth:+4|g\n"
      "queue.depth:-10|g\n"
      "queue.depth:17|g\n"
      "db.query:1.5|ms\n"
      "db.query:0|ms|@0.25\n"
      "payload.size:-3|h\n"
      "users.online:alice|s\n"
      "users.online:+10|s|@0.5\n"
      "latency:1:2:3.75|d\n"
      "tagged:1|c|#region:eu,role:web,bare\n"
      "user.type:1|c|#metric_type:mine\n"
      "negzero:-0|c\n"
      "huge:1e300|g\n"
      "tiny:4.7E-5|h\n"
      "edge:9007199254740993|c\n"
      "stamped:5|c|T1700000000\n"
      "m:1|c|@1\n");
  REQUIRE(points.size() == 21);
  for (const HeldPoint& h : points) {
    INFO(h.measurement);
    const std::vector<uint8_t> short_form = encode_one(h.view(false));
    const std::vector<uint8_t> full_form = encode_one(h.view(true));
    CHECK(kind_of(short_form) == segfmt::kKindMetric);
    CHECK(kind_of(full_form) == segfmt::kKindPoint);
    CHECK(short_form.size() < full_form.size());
    OwnedRecord a, b;
    REQUIRE(decode_one(short_form, a));
    REQUIRE(decode_one(full_form, b));
    CHECK(a.same_content(b));
    CHECK(a.measurement == h.measurement);
  }
  // -0 keeps its sign bit; the tag named metric_type by the sender stays before ours.
  OwnedRecord r;
  REQUIRE(decode_one(encode_one(points[15].view(false)), r));
  REQUIRE(r.fields.size() == 1);
  CHECK(std::signbit(r.fields[0].f));
  REQUIRE(decode_one(encode_one(points[14].view(false)), r));
  REQUIRE(r.tags.size() == 2);
  CHECK(r.tags[0] == std::pair<std::string, std::string>{"metric_type", "mine"});
  CHECK(r.tags[1] == std::pair<std::string, std::string>{"metric_type", "counter"});
}

TEST_CASE("metric records: a MetricView is stored byte for byte as the point it stands for") {
  std::vector<MetricView> views;
  const double values[] = {0, -0.0, 1, -1, 2.5, 1e300, -9007199254740991.0, 9007199254740992.0,
                           std::numeric_limits<double>::quiet_NaN()};
  for (uint8_t t = 0; t < segfmt::kMetricTypes; ++t) {
    for (double v : values) {
      MetricView m;
      m.measurement = t % 2 ? "api.http.requests" : "db.query.latency.p99.of.a.long.name";
      m.type = static_cast<Known>(static_cast<uint8_t>(Known::kCounter) + t);
      m.value = v;
      m.member = v == 1 ? "" : "user-1";
      m.has_rate = v < 0;
      m.sample_rate = 0.1;
      m.delta = v == 1 || v == -1;
      m.time_ns = v == 2.5 ? 1'600'000'000'000'000'000 : origin().receive_ns;
      views.push_back(m);
    }
  }
  // One batch each way: the dictionary and the origin carry from record to record.
  RecordEncoder by_view, by_point;
  by_view.reset();
  by_point.reset();
  std::vector<uint8_t> a, b;
  for (const MetricView& m : views) {
    MetricPoint p(m);
    size_t at = a.size();
    a.resize(at + by_view.metric_bound(origin(), m));
    uint32_t hash = 0;
    by_view.lookup_ahead(std::span<const MetricView>(&m, 1), &hash);
    a.resize(at + by_view.encode_metric(a.data(), at, origin(), m, hash));
    at = b.size();
    b.resize(at + by_point.point_bound(origin(), p.view));
    b.resize(at + by_point.encode_point(b.data(), at, origin(), p.view));
    CHECK(a.size() - at <= by_view.metric_bound(origin(), m));
  }
  CHECK(a == b);
  RecordDecoder d;
  d.begin_batch(segfmt::kFormatVersion);
  std::span<const uint8_t> in(a);
  for (const MetricView& m : views) {
    RecordView v;
    REQUIRE(d.decode(in, v));
    MetricPoint p(m);
    OwnedRecord got = OwnedRecord::from(v);
    CHECK(got.measurement == m.measurement);
    CHECK(got.time_ns == m.time_ns);
    REQUIRE(got.fields.size() == p.view.fields.size());
    CHECK(got.tags.back().second == known_name(m.type));
  }
  CHECK(in.empty());
}

TEST_CASE("metric records: a point of any other shape is stored in full and reads back as given") {
  std::vector<HeldPoint> base = parse_statsd("api.http.requests:2.5|c|@0.1\n");
  REQUIRE(base.size() == 1);
  const HeldPoint metric = base[0];
  REQUIRE(kind_of(encode_one(metric.view(false))) == segfmt::kKindMetric);
  std::vector<std::pair<std::string, HeldPoint>> cases;
  auto add = [&](std::string name, auto&& change) {
    HeldPoint h = metric;
    change(h);
    cases.emplace_back(std::move(name), std::move(h));
  };
  add("metric_type not the last tag", [](HeldPoint& h) { h.tags.push_back(Tag{"host", "a"}); });
  add("no tags", [](HeldPoint& h) { h.tags.clear(); });
  add("the type's name by id but other bytes", [](HeldPoint& h) { h.tags.back().value = "countex"; });
  add("metric_type's key by id but other bytes", [](HeldPoint& h) { h.tags.back().key = "metric_typo"; });
  add("a type id that is no metric type", [](HeldPoint& h) {
    h.tags.back().value = known_name(Known::kValue);
    h.tags.back().value_id = Known::kValue;
  });
  add("fields in another order", [](HeldPoint& h) { std::swap(h.fields[0], h.fields[1]); });
  add("a field the shape has no room for", [](HeldPoint& h) { h.fields.push_back(Field::int_("count", 3)); });
  add("a second sample rate", [](HeldPoint& h) { h.fields.push_back(h.fields[1]); });
  add("sample_rate not a float", [](HeldPoint& h) {
    h.fields[1] = Field::int_(known_name(Known::kSampleRate), 1).known(Known::kSampleRate);
  });
  add("delta false", [](HeldPoint& h) {
    h.fields.push_back(Field::bool_(known_name(Known::kDelta), false).known(Known::kDelta));
  });
  add("a counter with a string value", [](HeldPoint& h) {
    h.fields[0] = Field::string_(known_name(Known::kValue), "3").known(Known::kValue);
  });
  add("a set with a float value", [](HeldPoint& h) {
    h.tags.back().value = known_name(Known::kSet);
    h.tags.back().value_id = Known::kSet;
  });
  add("value's key by id but other bytes", [](HeldPoint& h) { h.fields[0].key = "valve"; });
  for (const auto& [name, h] : cases) {
    INFO(name);
    const std::vector<uint8_t> bytes = encode_one(h.view(false));
    CHECK(kind_of(bytes) == segfmt::kKindPoint);
    OwnedRecord got, want;
    REQUIRE(decode_one(bytes, got));
    REQUIRE(decode_one(encode_one(h.view(true)), want));
    CHECK(got.same_content(want));
  }
}

TEST_CASE("metric records: malformed ones, and one in a batch of an older version, are rejected") {
  std::vector<HeldPoint> points = parse_statsd("a:1|c\nb:0.5|c|@0.5\ns:x|s\n");
  REQUIRE(points.size() == 3);
  const std::vector<uint8_t> counter = encode_one(points[0].view(false));
  const std::vector<uint8_t> rated = encode_one(points[1].view(false));
  const std::vector<uint8_t> set = encode_one(points[2].view(false));
  OwnedRecord r;
  REQUIRE(decode_one(counter, r));
  REQUIRE(decode_one(rated, r));
  REQUIRE(decode_one(set, r));
  // counter: ... measurement "a" (2 bytes), tag count 0, shape, value 1 (zigzag 2).
  REQUIRE(counter.back() == 2);
  const size_t shape_at = counter.size() - 2;
  REQUIRE(counter[shape_at] == (0 | segfmt::kMetricIntegral));

  SUBCASE("in a version-2 or version-1 batch") {
    CHECK_FALSE(decode_one(counter, r, segfmt::kFormatVersion2));
    CHECK_FALSE(decode_one(counter, r, segfmt::kFormatVersion1));
  }
  SUBCASE("unknown shape bits") {
    for (uint8_t bit : {0x40, 0x80}) {
      auto b = counter;
      b[shape_at] |= bit;
      CHECK_FALSE(decode_one(b, r));
    }
  }
  SUBCASE("a metric type past distribution") {
    for (uint8_t type : {6, 7}) {
      auto b = counter;
      b[shape_at] = static_cast<uint8_t>(type | segfmt::kMetricIntegral);
      CHECK_FALSE(decode_one(b, r));
    }
  }
  SUBCASE("a set whose value says integral") {
    auto b = set;
    const size_t at = b.size() - 3;  // shape, then the member "x" as a literal (2 bytes)
    REQUIRE(b[at] == segfmt::kMetricSet);
    b[at] |= segfmt::kMetricIntegral;
    CHECK_FALSE(decode_one(b, r));
  }
  SUBCASE("a sample rate cut short, or one said and not there") {
    auto b = rated;
    b.pop_back();
    b[0] = static_cast<uint8_t>(b[0] - 1);
    CHECK_FALSE(decode_one(b, r));
    auto c = counter;
    c[shape_at] |= segfmt::kMetricSampleRate;
    CHECK_FALSE(decode_one(c, r));
  }
  SUBCASE("bytes left over") {
    auto b = counter;
    b.push_back(0);
    b[0] = static_cast<uint8_t>(b[0] + 1);
    CHECK_FALSE(decode_one(b, r));
  }
}

}  // namespace ringest
