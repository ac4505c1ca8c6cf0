#include "test_util.h"

#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace ringest::test {

std::unique_ptr<PartitionLog> open_log(const LogOptions& o, RecoveryReport& report) {
  Status err;
  auto log = PartitionLog::open(o, report, err);
  INFO(err.message());
  REQUIRE(log != nullptr);
  return log;
}

OwnedRecord OwnedRecord::from(const RecordView& v, uint32_t partition, uint64_t offset) {
  OwnedRecord r;
  r.partition = partition;
  r.offset = offset;
  r.kind = v.kind;
  r.listener = v.origin.listener;
  r.source = v.origin.source;
  r.receive_ns = v.origin.receive_ns;
  r.time_ns = v.point.time_ns;
  r.measurement = v.point.measurement;
  for (const Tag& t : v.point.tags) r.tags.emplace_back(t.key, t.value);
  for (const Field& f : v.point.fields) {
    OwnedField o;
    o.key = f.key;
    o.type = f.type;
    switch (f.type) {
      case FieldType::kFloat: o.f = f.f; break;
      case FieldType::kInt: o.i = f.i; break;
      case FieldType::kUint: o.u = f.u; break;
      case FieldType::kString: o.s = f.s; break;
      case FieldType::kBool: o.b = f.b; break;
    }
    r.fields.push_back(o);
  }
  r.raw = v.raw;
  return r;
}

namespace {
// The id of a name a parser may give as a Known one, as the StatsD parser
// would give it; kNone for any other.
Known known_id(std::string_view s) {
  for (size_t i = 1; i < kKnownCount; ++i)
    if (kKnownNames[i] == s) return static_cast<Known>(i);
  return Known::kNone;
}
}  // namespace

OwnedRecord::Views OwnedRecord::views() const {
  Views v;
  v.origin.listener = listener;
  v.origin.source = source;
  v.origin.receive_ns = receive_ns;
  for (const auto& [k, val] : tags) v.tags.push_back(Tag{k, val, known_id(k), known_id(val)});
  for (const OwnedField& f : fields) {
    switch (f.type) {
      case FieldType::kFloat: v.fields.push_back(Field::float_(f.key, f.f)); break;
      case FieldType::kInt: v.fields.push_back(Field::int_(f.key, f.i)); break;
      case FieldType::kUint: v.fields.push_back(Field::uint_(f.key, f.u)); break;
      case FieldType::kString: v.fields.push_back(Field::string_(f.key, f.s)); break;
      case FieldType::kBool: v.fields.push_back(Field::bool_(f.key, f.b)); break;
    }
  }
  for (Field& f : v.fields) f.key_id = known_id(f.key);
  v.point.measurement = measurement;
  v.point.tags = v.tags;
  v.point.fields = v.fields;
  v.point.time_ns = time_ns;
  return v;
}

bool OwnedRecord::same_content(const OwnedRecord& o) const {
  return kind == o.kind && listener == o.listener && source == o.source && receive_ns == o.receive_ns &&
         time_ns == o.time_ns && measurement == o.measurement && tags == o.tags && fields == o.fields &&
         raw == o.raw;
}

OwnedRecord sample_point(uint64_t n) {
  OwnedRecord r;
  r.kind = RecordKind::kPoint;
  r.listener = static_cast<uint16_t>(n % 3);
  if (n % 2 == 0) {
    r.source.family = SourceAddress::kIPv4;
    uint8_t a[4] = {10, 0, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    std::memcpy(r.source.addr, a, 4);
  } else {
    r.source.family = SourceAddress::kIPv6;
    for (int i = 0; i < 16; ++i) r.source.addr[i] = static_cast<uint8_t>(n * 7 + i);
  }
  r.source.port = static_cast<uint16_t>(8125 + n % 100);
  r.receive_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(n) * 1000;
  r.time_ns = r.receive_ns - static_cast<int64_t>(n % 5) * 1'000'000;
  r.measurement = "cpu.load." + std::to_string(n % 7);
  r.tags = {{"host", "web-" + std::to_string(n % 11)}, {"dc", "eu\"west\n"}};
  if (n % 3 == 0) r.tags.emplace_back("a", "first-by-key");
  OwnedField f;
  f.key = "value";
  f.type = FieldType::kFloat;
  f.f = 0.1 * static_cast<double>(n);
  r.fields.push_back(f);
  OwnedField i;
  i.key = "count";
  i.type = FieldType::kInt;
  i.i = -static_cast<int64_t>(n) * 1'000'000'007;
  r.fields.push_back(i);
  OwnedField u;
  u.key = "bytes";
  u.type = FieldType::kUint;
  u.u = UINT64_MAX - n;
  r.fields.push_back(u);
  OwnedField s;
  s.key = "msg";
  s.type = FieldType::kString;
  s.s = std::string("line ") + std::to_string(n) + std::string("\0\x01\xff", 3);
  r.fields.push_back(s);
  OwnedField b;
  b.key = "up";
  b.type = FieldType::kBool;
  b.b = n % 2 == 1;
  r.fields.push_back(b);
  return r;
}

OwnedRecord sample_metric(uint64_t n) {
  static constexpr std::string_view kTypes[] = {"counter", "gauge", "timing", "histogram", "set", "distribution"};
  OwnedRecord r;
  r.kind = RecordKind::kPoint;
  r.listener = 1;
  r.source.family = SourceAddress::kIPv4;
  uint8_t a[4] = {192, 0, 2, static_cast<uint8_t>(n % 4)};
  std::memcpy(r.source.addr, a, 4);
  r.source.port = static_cast<uint16_t>(40000 + n % 4);
  r.receive_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(n) * 1000;
  r.time_ns = n % 7 == 0 ? 1'700'000'000'000'000'000 : r.receive_ns;
  r.measurement = "api.http.requests." + std::to_string(n % 5);
  if (n % 3 == 0) r.tags = {{"region", "eu-" + std::to_string(n % 2)}};
  const std::string_view type = kTypes[n % std::size(kTypes)];
  r.tags.emplace_back("metric_type", type);
  OwnedField value;
  value.key = "value";
  if (type == "set") {
    value.type = FieldType::kString;
    value.s = "user-" + std::to_string(n);
  } else {
    value.f = n % 2 == 0 ? static_cast<double>(n) : 0.25 * static_cast<double>(n);
  }
  r.fields.push_back(value);
  if (n % 4 == 1) {
    OwnedField rate;
    rate.key = "sample_rate";
    rate.f = 0.1;
    r.fields.push_back(rate);
  }
  if (type == "gauge" && n % 2 == 1) {
    OwnedField delta;
    delta.key = "delta";
    delta.type = FieldType::kBool;
    delta.b = true;
    r.fields.push_back(delta);
  }
  return r;
}

OwnedRecord sample_raw(uint64_t n) {
  OwnedRecord r;
  r.kind = RecordKind::kRaw;
  r.listener = 1;
  r.source.family = SourceAddress::kIPv4;
  uint8_t a[4] = {127, 0, 0, 1};
  std::memcpy(r.source.addr, a, 4);
  r.source.port = 9999;
  r.receive_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(n);
  r.time_ns = r.receive_ns;
  r.raw = "garbage line " + std::to_string(n) + std::string(" \xfe\x00", 3);
  return r;
}

std::vector<uint8_t> encode_payload(const std::vector<OwnedRecord>& records) {
  RecordEncoder encoder;
  encoder.reset();
  std::vector<uint8_t> out;
  for (const OwnedRecord& r : records) {
    auto v = r.views();
    bool raw = r.kind == RecordKind::kRaw;
    size_t at = out.size();
    out.resize(at + (raw ? encoder.raw_bound(v.origin, r.raw) : encoder.point_bound(v.origin, v.point)));
    size_t n = raw ? encoder.encode_raw(out.data(), at, v.origin, r.raw)
                   : encoder.encode_point(out.data(), at, v.origin, v.point);
    out.resize(at + n);
  }
  return out;
}

namespace {

class Collector : public LogVisitor {
 public:
  explicit Collector(ReadBack& out) : out_(out) {}
  void on_segment(const SegmentFile&, const SegmentHeader&) override { ++out_.segments; }
  void on_batch(const SegmentFile&, const BatchView& b) override {
    std::vector<uint64_t> offsets;
    for (uint32_t i = 0; i < b.header.record_count; ++i) offsets.push_back(b.header.base_offset + i);
    out_.batches.push_back(std::move(offsets));
  }
  void on_record(uint32_t partition, uint64_t offset, const RecordView& r) override {
    out_.records.push_back(OwnedRecord::from(r, partition, offset));
  }
  void on_damage(const std::filesystem::path& file, uint64_t pos, std::string_view reason) override {
    out_.damage.push_back(file.filename().string() + "@" + std::to_string(pos) + ": " + std::string(reason));
  }

 private:
  ReadBack& out_;
};

}  // namespace

ReadBack read_back(const std::filesystem::path& partition_dir) {
  ReadBack out;
  std::vector<PartitionDir> parts;
  REQUIRE(list_partitions(partition_dir, parts).ok());
  Collector c(out);
  for (const PartitionDir& p : parts) REQUIRE(read_partition(p, c).ok());
  return out;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::filesystem::path last_segment(const std::filesystem::path& partition_dir) {
  std::vector<SegmentFile> segs;
  REQUIRE(list_segments(partition_dir, segs).ok());
  REQUIRE(!segs.empty());
  return segs.back().path;
}

}  // namespace ringest::test
