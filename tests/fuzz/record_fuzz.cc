// libFuzzer target for the record decoder (formats 1, 2 and 3) and encoder.
// The first byte picks the format; the rest is a batch payload, decoded record
// by record until one is malformed. Whatever decodes is encoded again as a
// batch of the current format, with the names' Known ids the decoder gave (so
// metric records are written again as metric records), and must decode to the
// same records, bit for bit.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sinks/record_codec.h"
#include "sinks/segment_format.h"

namespace {

using namespace ringest;

struct Owned {
  RecordKind kind;
  Origin origin;
  int64_t time_ns;
  std::string measurement, raw;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::pair<Known, Known>> tag_ids;
  std::vector<std::pair<std::string, Field>> fields;  // Field::s/key re-pointed on use
  std::vector<std::string> field_strings;
};

Owned own(const RecordView& v) {
  Owned o{v.kind, v.origin, v.point.time_ns, std::string(v.point.measurement), std::string(v.raw), {}, {}, {}, {}};
  for (const Tag& t : v.point.tags) {
    o.tags.emplace_back(std::string(t.key), std::string(t.value));
    o.tag_ids.emplace_back(t.key_id, t.value_id);
  }
  for (const Field& f : v.point.fields) {
    o.fields.emplace_back(std::string(f.key), f);
    o.field_strings.emplace_back(f.type == FieldType::kString ? std::string(f.s) : std::string());
  }
  return o;
}

bool same_field(const Field& a, const Field& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case FieldType::kFloat: return std::bit_cast<uint64_t>(a.f) == std::bit_cast<uint64_t>(b.f);
    case FieldType::kInt: return a.i == b.i;
    case FieldType::kUint: return a.u == b.u;
    case FieldType::kString: return a.s == b.s;
    case FieldType::kBool: return a.b == b.b;
  }
  return false;
}

bool same_origin(const Origin& a, const Origin& b) {
  size_t n = a.source.family == SourceAddress::kIPv4 ? 4 : a.source.family == SourceAddress::kIPv6 ? 16 : 0;
  return a.listener == b.listener && a.source.family == b.source.family && a.source.port == b.source.port &&
         a.receive_ns == b.receive_ns && std::memcmp(a.source.addr, b.source.addr, n) == 0;
}

void check_same(const Owned& o, const RecordView& v) {
  if (o.kind != v.kind || !same_origin(o.origin, v.origin) || o.time_ns != v.point.time_ns) std::abort();
  if (o.raw != v.raw || o.measurement != v.point.measurement) std::abort();
  if (o.tags.size() != v.point.tags.size() || o.fields.size() != v.point.fields.size()) std::abort();
  for (size_t i = 0; i < o.tags.size(); ++i)
    if (o.tags[i].first != v.point.tags[i].key || o.tags[i].second != v.point.tags[i].value) std::abort();
  for (size_t i = 0; i < o.fields.size(); ++i) {
    Field f = o.fields[i].second;
    f.s = o.field_strings[i];
    if (o.fields[i].first != v.point.fields[i].key || !same_field(f, v.point.fields[i])) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t version = static_cast<uint8_t>(segfmt::kFormatVersion1 + data[0] % segfmt::kFormatVersion);
  std::span<const uint8_t> in(data + 1, size - 1);
  RecordDecoder decoder;
  decoder.begin_batch(version);
  std::vector<Owned> records;
  RecordView v;
  while (!in.empty() && records.size() < 4096) {
    size_t before = in.size();
    if (!decoder.decode(in, v)) {
      if (in.size() != before) std::abort();  // a failed decode leaves its input alone
      break;
    }
    if (in.size() >= before) std::abort();
    records.push_back(own(v));
  }

  RecordEncoder encoder;
  encoder.reset();
  std::vector<uint8_t> batch;
  for (const Owned& o : records) {
    std::vector<Tag> tags;
    for (size_t i = 0; i < o.tags.size(); ++i)
      tags.push_back({o.tags[i].first, o.tags[i].second, o.tag_ids[i].first, o.tag_ids[i].second});
    std::vector<Field> fields;
    for (size_t i = 0; i < o.fields.size(); ++i) {
      Field f = o.fields[i].second;
      f.key = o.fields[i].first;
      f.s = o.field_strings[i];
      fields.push_back(f);
    }
    PointView p{o.measurement, tags, fields, o.time_ns};
    bool raw = o.kind == RecordKind::kRaw;
    size_t bound = raw ? encoder.raw_bound(o.origin, o.raw) : encoder.point_bound(o.origin, p);
    size_t at = batch.size();
    batch.resize(at + bound);
    size_t n = raw ? encoder.encode_raw(batch.data(), at, o.origin, o.raw)
                   : encoder.encode_point(batch.data(), at, o.origin, p);
    if (n > bound) std::abort();
    batch.resize(at + n);
  }
  RecordDecoder again;
  again.begin_batch(segfmt::kFormatVersion);
  std::span<const uint8_t> out(batch);
  for (const Owned& o : records) {
    if (!again.decode(out, v)) std::abort();
    check_same(o, v);
  }
  if (!out.empty()) std::abort();
  return 0;
}
