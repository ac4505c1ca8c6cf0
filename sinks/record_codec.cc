#include "sinks/record_codec.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>

#include "common/prefetch.h"
#include "sinks/coding.h"
#include "sinks/segment_format.h"

namespace ringest {

using namespace segfmt;
using coding::get_u16;
using coding::get_u64;
using coding::get_varint32;
using coding::get_varint64;
using coding::put_u16;
using coding::put_u64;
using coding::put_varint32;
using coding::put_varint64;
using coding::unzigzag;
using coding::varint32_length;
using coding::zigzag;

namespace {

constexpr size_t kMaxVarint32 = 5;
constexpr size_t kMaxVarint64 = 10;
// Longer strings are stored where they occur: they rarely repeat, and looking
// them up would cost more than it saves.
constexpr size_t kMaxDictionaryString = 64;
// The largest magnitude below which every integer is exactly a double.
constexpr double kExactIntegers = 9007199254740992.0;  // 2^53

size_t address_size(const SourceAddress& a) {
  switch (a.family) {
    case SourceAddress::kUnix: return 8;
    case SourceAddress::kIPv4: return 4;
    case SourceAddress::kIPv6: return 16;
    default: return 0;
  }
}

size_t string_bound(std::string_view s) { return kMaxVarint32 + s.size(); }

// Differences of signed 64-bit times, wrapping rather than overflowing; the
// decoder adds them back the same way.
uint64_t delta(int64_t value, int64_t base) {
  return zigzag(static_cast<int64_t>(static_cast<uint64_t>(value) - static_cast<uint64_t>(base)));
}
int64_t undelta(uint64_t d, int64_t base) {
  return static_cast<int64_t>(static_cast<uint64_t>(base) + static_cast<uint64_t>(unzigzag(d)));
}

// Below 2^53 in magnitude the conversion to int64_t is defined, and gives f
// back exactly when f is whole (no call to trunc). NaN fails the first test.
bool integral(double f) {
  return std::fabs(f) < kExactIntegers && static_cast<double>(static_cast<int64_t>(f)) == f &&
         !(f == 0 && std::signbit(f));
}

uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
uint64_t load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// memcmp for the short strings the dictionary holds, without a call. Up to
// 32 bytes, overlapping words and no loop.
bool same_bytes(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    const uint64_t ends = (load64(a) ^ load64(b)) | (load64(a + n - 8) ^ load64(b + n - 8));
    if (n <= 16) return ends == 0;
    if (ends != 0 || ((load64(a + 8) ^ load64(b + 8)) | (load64(a + n - 16) ^ load64(b + n - 16))) != 0) return false;
    for (size_t i = 16; i + 16 < n; i += 8)
      if (load64(a + i) != load64(b + i)) return false;
    return true;
  }
  if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// Whether `a` is stored as `b` is (the address bytes the family has, or none):
// the same listener, port, family and address. Called for every record, nearly
// always with a datagram's origin again: no call to memcmp.
bool same_source(const Origin& a, const Origin& b) {
  // Every part equal, all 16 address bytes too: the same, whatever the family.
  if (a.listener == b.listener && a.source.port == b.source.port && a.source.family == b.source.family &&
      load64(reinterpret_cast<const char*>(a.source.addr)) == load64(reinterpret_cast<const char*>(b.source.addr)) &&
      load64(reinterpret_cast<const char*>(a.source.addr) + 8) == load64(reinterpret_cast<const char*>(b.source.addr) + 8))
    return true;
  const size_t n = address_size(a.source);
  if (a.listener != b.listener || a.source.port != b.source.port || n != address_size(b.source)) return false;
  return n == 0 || (a.source.family == b.source.family &&
                    same_bytes(reinterpret_cast<const char*>(a.source.addr),
                               reinterpret_cast<const char*>(b.source.addr), n));
}

// Whether a parser's name is kKnownNames[want]: by its id, then by its
// address (a parser hands out kKnownNames' own bytes) or else its bytes.
bool is_known(std::string_view s, Known id, Known want) {
  const std::string_view name = known_name(want);
  return id == want && s.size() == name.size() && (s.data() == name.data() || same_bytes(s.data(), name.data(), s.size()));
}

// The shape byte of a point stored as a metric record (the StatsD parser's
// metrics: the tags, then metric_type; the fields value, then sample_rate and
// delta=true when given), or -1 for any other point.
int metric_shape(const PointView& p) {
  const size_t nt = p.tags.size(), nf = p.fields.size();
  if (nt == 0 || nf == 0 || nf > 3) return -1;
  const Tag& t = p.tags[nt - 1];
  const auto type = static_cast<unsigned>(t.value_id) - static_cast<unsigned>(Known::kCounter);
  if (type >= kMetricTypes || !is_known(t.key, t.key_id, Known::kMetricType) || !is_known(t.value, t.value_id, t.value_id))
    return -1;
  int shape = static_cast<int>(type);
  const Field& v = p.fields[0];
  if (!is_known(v.key, v.key_id, Known::kValue)) return -1;
  if (type == kMetricSet ? v.type != FieldType::kString : v.type != FieldType::kFloat) return -1;
  size_t i = 1;
  if (i < nf && p.fields[i].type == FieldType::kFloat && is_known(p.fields[i].key, p.fields[i].key_id, Known::kSampleRate)) {
    shape |= kMetricSampleRate;
    ++i;
  }
  if (i < nf && p.fields[i].type == FieldType::kBool && p.fields[i].b && is_known(p.fields[i].key, p.fields[i].key_id, Known::kDelta)) {
    shape |= kMetricDelta;
    ++i;
  }
  return i == nf ? shape : -1;
}

// For the encoder's table only (never stored): fixed-size loads, the short
// tails read as overlapping words rather than byte by byte. Three words at
// most, whatever the length (the first, the middle and the last eight bytes),
// each multiplied on its own rather than in a chain: the strings looked up
// are names tens of bytes long, and strings that differ elsewhere only cost
// a longer probe, which the encoder bounds.
uint32_t hash_of(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t h;
  if (n >= 8) {
    h = load64(p) * 0xff51afd7ed558ccdull ^ load64(p + n - 8) * 0xc4ceb9fe1a85ec53ull;
    if (n > 16) h ^= load64(p + n / 2 - 4) * 0x9E3779B97F4A7C15ull;
  } else if (n >= 4) {
    h = (load32(p) | load32(p + n - 4) << 32) * 0xff51afd7ed558ccdull;
  } else {
    h = n == 0 ? 0
               : (uint64_t{static_cast<uint8_t>(p[0])} | uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
                  uint64_t{static_cast<uint8_t>(p[n - 1])} << 16) *
                     0xff51afd7ed558ccdull;
  }
  h ^= n;
  h ^= h >> 29;
  h *= 0xc4ceb9fe1a85ec53ull;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// Bounds-checked reading over [p, end); every read fails once anything ran short.
class Cursor {
 public:
  Cursor(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  bool ok() const { return p_ != nullptr; }
  bool at_end() const { return p_ == end_; }

  uint8_t u8() { return need(1) ? *p_++ : 0; }
  uint16_t u16() {
    if (!need(2)) return 0;
    uint16_t v = get_u16(p_);
    p_ += 2;
    return v;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = get_u64(p_);
    p_ += 8;
    return v;
  }
  uint32_t varint() {
    uint32_t v = 0;
    if (p_ != nullptr) p_ = get_varint32(p_, end_, &v);
    return v;
  }
  uint64_t varint64() {
    uint64_t v = 0;
    if (p_ != nullptr) p_ = get_varint64(p_, end_, &v);
    return v;
  }
  std::string_view bytes(size_t n) {
    if (!need(n)) return {};
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  std::string_view str() { return bytes(varint()); }
  std::string_view rest() { return p_ ? bytes(static_cast<size_t>(end_ - p_)) : std::string_view(); }
  // A count of items each at least `min_size` bytes long can't exceed what is left;
  // checking it up front keeps a corrupt count from growing a vector.
  bool count_fits(uint32_t count, size_t min_size) const {
    return p_ != nullptr && count <= static_cast<size_t>(end_ - p_) / min_size;
  }
  void fail() { p_ = nullptr; }

 private:
  bool need(size_t n) {
    if (p_ == nullptr || static_cast<size_t>(end_ - p_) < n) {
      p_ = nullptr;
      return false;
    }
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

// ---- Encoding (format 3) ------------------------------------------------------

RecordEncoder::RecordEncoder() : table_(std::make_unique<std::array<Entry, kTableSize>>()) { added_.reserve(64); }

void RecordEncoder::reset() {
  if (++generation_ == 0) {  // after 2^32 batches: forget every stamp once
    table_->fill(Entry{});
    known_.fill(KnownEntry{});
    generation_ = 1;
  }
  entries_ = 0;
  have_previous_ = false;
}

// Whatever came before: the bound holds for the first record of a batch too.
size_t RecordEncoder::origin_bound(const Origin&) const { return 1 + kMaxVarint32 + 1 + 16 + 2 + kMaxVarint64; }

size_t RecordEncoder::point_bound(const Origin& origin, const PointView& point) const {
  size_t n = origin_bound(origin) + kMaxVarint64 + string_bound(point.measurement) + 2 * kMaxVarint32;
  for (const Tag& t : point.tags) n += string_bound(t.key) + string_bound(t.value);
  for (const Field& f : point.fields)
    n += string_bound(f.key) + 1 + (f.type == FieldType::kString ? string_bound(f.s) : kMaxVarint64);
  return varint32_length(static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX))) + n;
}

size_t RecordEncoder::metric_bound(const Origin& origin, const MetricView& m) const {
  // time, measurement, tag count, shape, value (a varint, 8 bytes or a set's member), rate
  size_t n = origin_bound(origin) + kMaxVarint64 + string_bound(m.measurement) + 2 +
             std::max(kMaxVarint64, string_bound(m.member)) + 8;
  return varint32_length(static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX))) + n;
}

size_t RecordEncoder::raw_bound(const Origin& origin, std::string_view bytes) const {
  size_t n = origin_bound(origin) + bytes.size();
  return varint32_length(static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX))) + n;
}

uint8_t* RecordEncoder::put_origin(uint8_t* p, uint8_t kind, const Origin& o) {
  bool same = have_previous_ && same_source(o, previous_);
  *p++ = static_cast<uint8_t>(kind | (same ? kHeadSameOrigin : 0));
  if (!same) {
    p = put_varint32(p, o.listener);
    size_t n = address_size(o.source);
    *p++ = n == 0 ? kFamilyNone : static_cast<uint8_t>(o.source.family);
    std::memcpy(p, o.source.addr, n);
    p += n;
    put_u16(p, o.source.port);
    p += 2;
  }
  p = put_varint64(p, delta(o.receive_ns, have_previous_ ? previous_.receive_ns : 0));
  // The source is copied only when it changed: the next record compares
  // against it, and reads of a copy just made wait for its stores.
  if (same) {
    previous_.receive_ns = o.receive_ns;
  } else {
    previous_ = o;
  }
  have_previous_ = true;
  return p;
}

uint8_t* RecordEncoder::put_name(uint8_t* base, uint8_t* p, std::string_view s, Known id) {
  // A name that is not its id's (a renamed copy of a Tag or Field that kept
  // the id) is taken by its bytes. Parsers hand out kKnownNames' own bytes,
  // which is_known tells by their address alone.
  if (id == Known::kNone || !is_known(s, id, id)) return put_string(base, p, s);
  KnownEntry& k = known_[static_cast<size_t>(id)];
  if (k.generation == generation_) return put_varint32(p, uint32_t{k.index} << 2 | kStringRef);
  uint32_t index = UINT32_MAX;
  p = put_string(base, p, s, &index);
  if (index != UINT32_MAX) k = KnownEntry{generation_, static_cast<uint16_t>(index)};
  return p;
}

uint8_t* RecordEncoder::put_literal(uint8_t* p, std::string_view s) {
  p = put_varint32(p, static_cast<uint32_t>(s.size()) << 2 | kStringLiteral);
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

uint8_t* RecordEncoder::put_string(uint8_t* base, uint8_t* p, std::string_view s, uint32_t* index) {
  if (s.empty() || s.size() > kMaxDictionaryString) return put_literal(p, s);
  // Where the same bytes were looked up last time: a parser's fixed names
  // (keys, type names) come from the same address on every record. Only a
  // hint: the entry counts only if it is this batch's and holds these bytes.
  uint16_t& hint = hints_[(reinterpret_cast<uintptr_t>(s.data()) ^ s.size()) & (kHints - 1)];
  if (const Entry& e = (*table_)[hint]; e.generation == generation_ && holds(base, e, s)) {
    if (index != nullptr) *index = e.index;
    return put_varint32(p, uint32_t{e.index} << 2 | kStringRef);
  }
  return put_looked_up(base, p, s, hash_of(s), index, &hint);
}

uint8_t* RecordEncoder::put_measurement(uint8_t* base, uint8_t* p, std::string_view s, uint32_t hash) {
  if (s.empty() || s.size() > kMaxDictionaryString) return put_literal(p, s);
  return put_looked_up(base, p, s, hash, nullptr, nullptr);
}

[[gnu::flatten]] void RecordEncoder::lookup_ahead(std::span<const MetricView> run, uint32_t* hashes) const {
  assert(run.size() <= kLookAhead);
  for (size_t i = 0; i < run.size(); ++i) {
    hashes[i] = hash_of(run[i].measurement);
    prefetch(&(*table_)[hashes[i] & (kTableSize - 1)]);
  }
}

bool RecordEncoder::holds(const uint8_t* base, const Entry& e, std::string_view s) {
  return e.length == s.size() && same_bytes(reinterpret_cast<const char*>(base + e.at), s.data(), s.size());
}

uint8_t* RecordEncoder::put_looked_up(uint8_t* base, uint8_t* p, std::string_view s, uint32_t h, uint32_t* index,
                                      uint16_t* hint) {
  size_t i = h & (kTableSize - 1);
  for (size_t probes = 0; probes < kMaxProbes; ++probes, i = (i + 1) & (kTableSize - 1)) {
    Entry& e = (*table_)[i];
    if (e.generation != generation_) {
      if (entries_ == kMaxEntries) break;  // the dictionary is full: store it where it is
      // New to this batch: define it.
      p = put_varint32(p, static_cast<uint32_t>(s.size()) << 2 | kStringDefine);
      e = Entry{generation_, h, static_cast<uint32_t>(p - base), static_cast<uint16_t>(s.size()),
                static_cast<uint16_t>(entries_++)};
      added_.push_back(static_cast<uint32_t>(i));
      if (hint != nullptr) *hint = static_cast<uint16_t>(i);
      if (index != nullptr) *index = e.index;
      std::memcpy(p, s.data(), s.size());
      return p + s.size();
    }
    if (e.hash == h && holds(base, e, s)) {
      if (hint != nullptr) *hint = static_cast<uint16_t>(i);
      if (index != nullptr) *index = e.index;
      return put_varint32(p, uint32_t{e.index} << 2 | kStringRef);
    }
  }
  return put_literal(p, s);
}

// The body was written after a one-byte length prefix, which almost every
// record has (a body under 128 bytes); a longer one is moved down to make room
// for its prefix, which the bound left.
size_t RecordEncoder::finish(uint8_t* base, size_t at, uint8_t* body_end) {
  uint8_t* record = base + at;
  uint8_t* body = record + 1;
  size_t body_size = static_cast<size_t>(body_end - body);
  size_t prefix = varint32_length(static_cast<uint32_t>(body_size));
  if (prefix > 1) {
    std::memmove(record + prefix, body, body_size);
    for (uint32_t i : added_) (*table_)[i].at += static_cast<uint32_t>(prefix - 1);
  }
  put_varint32(record, static_cast<uint32_t>(body_size));
  added_.clear();
  return prefix + body_size;
}

uint8_t* RecordEncoder::put_tags(uint8_t* base, uint8_t* p, std::span<const Tag> tags) {
  p = put_varint32(p, static_cast<uint32_t>(tags.size()));
  for (const Tag& t : tags) {
    p = put_name(base, p, t.key, t.key_id);
    p = put_name(base, p, t.value, t.value_id);
  }
  return p;
}

size_t RecordEncoder::encode_point(uint8_t* base, size_t at, const Origin& origin, const PointView& point) {
  uint8_t* p = base + at + 1;
  const int shape = metric_shape(point);
  p = put_origin(p, shape < 0 ? kKindPoint : kKindMetric, origin);
  p = put_varint64(p, delta(point.time_ns, origin.receive_ns));
  p = put_measurement(base, p, point.measurement, hash_of(point.measurement));
  if (shape >= 0) {
    // The metric_type tag and the field keys are in the shape byte.
    p = put_tags(base, p, point.tags.first(point.tags.size() - 1));
    const Field& v = point.fields[0];
    const double rate = (shape & kMetricSampleRate) ? point.fields[1].f : 1;
    return finish(base, at, put_metric(base, p, static_cast<uint8_t>(shape), v.f, v.s, rate));
  }
  p = put_tags(base, p, point.tags);
  p = put_varint32(p, static_cast<uint32_t>(point.fields.size()));
  for (const Field& f : point.fields) {
    p = put_name(base, p, f.key, f.key_id);
    switch (f.type) {
      case FieldType::kFloat:
        if (integral(f.f)) {
          *p++ = kTypeIntegralFloat;
          p = put_varint64(p, zigzag(static_cast<int64_t>(f.f)));
        } else {
          *p++ = kTypeFloat;
          put_u64(p, std::bit_cast<uint64_t>(f.f));
          p += 8;
        }
        break;
      case FieldType::kInt:
        *p++ = kTypeInt;
        p = put_varint64(p, zigzag(f.i));
        break;
      case FieldType::kUint:
        *p++ = kTypeUint;
        p = put_varint64(p, f.u);
        break;
      case FieldType::kString:
        *p++ = kTypeString;
        p = put_string(base, p, f.s);
        break;
      case FieldType::kBool:
        *p++ = kTypeBool;
        *p++ = f.b ? 1 : 0;
        break;
    }
  }
  return finish(base, at, p);
}

// Every record of a StatsD flood comes through here: the helpers it calls
// are compiled into it rather than called (a call each cost more than most of
// them do).
[[gnu::flatten]] size_t RecordEncoder::encode_metric(uint8_t* base, size_t at, const Origin& origin,
                                                     const MetricView& m, uint32_t name_hash) {
  const auto type = static_cast<uint8_t>(static_cast<uint8_t>(m.type) - static_cast<uint8_t>(Known::kCounter));
  assert(type < kMetricTypes);
  uint8_t* p = base + at + 1;
  p = put_origin(p, kKindMetric, origin);
  p = put_varint64(p, delta(m.time_ns, origin.receive_ns));
  p = put_measurement(base, p, m.measurement, name_hash);
  *p++ = 0;  // no tags before metric_type
  const auto shape = static_cast<uint8_t>(type | (m.has_rate ? kMetricSampleRate : 0) | (m.delta ? kMetricDelta : 0));
  return finish(base, at, put_metric(base, p, shape, m.value, m.member, m.sample_rate));
}

uint8_t* RecordEncoder::put_metric(uint8_t* base, uint8_t* p, uint8_t shape, double value, std::string_view member,
                                   double rate) {
  uint8_t* shape_at = p++;
  if ((shape & kMetricTypeMask) == kMetricSet) {
    p = put_string(base, p, member);
  } else if (integral(value)) {
    shape |= kMetricIntegral;
    p = put_varint64(p, zigzag(static_cast<int64_t>(value)));
  } else {
    put_u64(p, std::bit_cast<uint64_t>(value));
    p += 8;
  }
  *shape_at = shape;
  if (shape & kMetricSampleRate) {
    put_u64(p, std::bit_cast<uint64_t>(rate));
    p += 8;
  }
  return p;
}

size_t RecordEncoder::encode_raw(uint8_t* base, size_t at, const Origin& origin, std::string_view bytes) {
  uint8_t* p = base + at + 1;
  p = put_origin(p, kKindRaw, origin);
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return finish(base, at, p + bytes.size());
}

// ---- Decoding -----------------------------------------------------------------

void RecordDecoder::begin_batch(uint8_t version) {
  version_ = version;
  strings_.clear();
  have_previous_ = false;
}

bool RecordDecoder::decode(std::span<const uint8_t>& in, RecordView& out) {
  const uint8_t* begin = in.data();
  const uint8_t* end = begin + in.size();
  uint32_t body = 0;
  const uint8_t* p = get_varint32(begin, end, &body);
  if (p == nullptr || body > static_cast<size_t>(end - p)) return false;
  bool ok = version_ == kFormatVersion1 ? decode_v1(p, p + body, out)
            : known_version(version_)    ? decode_v2(p, p + body, out)
                                         : false;
  if (!ok) return false;
  in = in.subspan(static_cast<size_t>(p + body - begin));
  return true;
}

namespace {

// A format-2 string: a literal, a definition or a reference.
bool read_string(Cursor& c, std::vector<std::string_view>& strings, std::string_view& out) {
  uint32_t v = c.varint();
  if (!c.ok()) return false;
  switch (v & 3) {
    case kStringLiteral:
      out = c.bytes(v >> 2);
      return c.ok();
    case kStringDefine:
      out = c.bytes(v >> 2);
      if (!c.ok() || strings.size() >= kMaxStrings) return false;
      strings.push_back(out);
      return true;
    case kStringRef:
      if ((v >> 2) >= strings.size()) return false;
      out = strings[v >> 2];
      return true;
    default: return false;
  }
}

// What the two formats write differently inside a point: strings, integers,
// and format 2's floats that hold an integer.
struct FormatV1 {
  static bool string(Cursor& c, std::vector<std::string_view>&, std::string_view& out) {
    out = c.str();
    return c.ok();
  }
  static int64_t int_value(Cursor& c) { return static_cast<int64_t>(c.u64()); }
  static uint64_t uint_value(Cursor& c) { return c.u64(); }
  static bool other_value(Cursor&, uint8_t, Field&) { return false; }
};

struct FormatV2 {
  static bool string(Cursor& c, std::vector<std::string_view>& strings, std::string_view& out) {
    return read_string(c, strings, out);
  }
  static int64_t int_value(Cursor& c) { return unzigzag(c.varint64()); }
  static uint64_t uint_value(Cursor& c) { return c.varint64(); }
  static bool other_value(Cursor& c, uint8_t type, Field& f) {
    if (type != kTypeIntegralFloat) return false;
    f.type = FieldType::kFloat;
    f.f = static_cast<double>(unzigzag(c.varint64()));
    return integral(f.f);  // only what the encoder writes
  }
};

// A source: family, address, port.
bool read_source(Cursor& c, SourceAddress& source) {
  uint8_t family = c.u8();
  size_t addr_len = family == kFamilyIPv4 ? 4 : family == kFamilyIPv6 ? 16 : family == kFamilyUnix ? 8 : 0;
  if (family != kFamilyNone && addr_len == 0) return false;
  source.family = static_cast<SourceAddress::Family>(family);
  std::string_view addr = c.bytes(addr_len);
  if (!addr.empty()) std::memcpy(source.addr, addr.data(), addr_len);
  source.port = c.u16();
  return true;
}

template <class Format>
bool read_value(Cursor& c, uint8_t type, Field& f) {
  switch (type) {
    case kTypeFloat:
      f.type = FieldType::kFloat;
      f.f = std::bit_cast<double>(c.u64());
      return true;
    case kTypeInt:
      f.type = FieldType::kInt;
      f.i = Format::int_value(c);
      return true;
    case kTypeUint:
      f.type = FieldType::kUint;
      f.u = Format::uint_value(c);
      return true;
    case kTypeBool: {
      f.type = FieldType::kBool;
      uint8_t b = c.u8();
      f.b = b == 1;
      return b <= 1;
    }
    default: return Format::other_value(c, type, f);
  }
}

// A tag count and the tags, into `tags`.
template <class Format>
bool read_tags(Cursor& c, std::vector<std::string_view>& strings, std::vector<Tag>& tags) {
  uint32_t ntags = c.varint();
  if (!c.count_fits(ntags, 2)) return false;
  tags.clear();
  for (uint32_t i = 0; i < ntags; ++i) {
    Tag t;
    if (!Format::string(c, strings, t.key) || !Format::string(c, strings, t.value)) return false;
    tags.push_back(t);
  }
  return true;
}

// A point after its time: measurement, tags, fields, and nothing after them.
// `tags` and `fields` are the decoder's arrays the point's spans show.
template <class Format>
bool read_point(Cursor& c, std::vector<std::string_view>& strings, std::vector<Tag>& tags,
                std::vector<Field>& fields, PointView& point) {
  if (!Format::string(c, strings, point.measurement) || !read_tags<Format>(c, strings, tags)) return false;
  uint32_t nfields = c.varint();
  if (!c.count_fits(nfields, 3)) return false;
  fields.clear();
  for (uint32_t i = 0; i < nfields; ++i) {
    Field f;
    if (!Format::string(c, strings, f.key)) return false;
    uint8_t type = c.u8();
    if (type == kTypeString) {
      f.type = FieldType::kString;
      if (!Format::string(c, strings, f.s)) return false;
    } else if (!read_value<Format>(c, type, f)) {
      return false;
    }
    fields.push_back(f);
  }
  if (!c.ok() || !c.at_end()) return false;
  point.tags = tags;
  point.fields = fields;
  return true;
}

// A metric record after its measurement: tags, shape, value, sample rate, as
// the point they stand for. `tags` and `fields` are the decoder's arrays.
bool read_metric(Cursor& c, std::vector<std::string_view>& strings, std::vector<Tag>& tags,
                 std::vector<Field>& fields, PointView& point) {
  if (!read_tags<FormatV2>(c, strings, tags)) return false;
  const uint8_t shape = c.u8();
  const uint8_t type = shape & kMetricTypeMask;
  if (!c.ok() || (shape & ~kMetricKnown) != 0 || type >= kMetricTypes) return false;
  MetricView m;
  m.type = static_cast<Known>(static_cast<uint8_t>(Known::kCounter) + type);
  if (type == kMetricSet) {
    if (shape & kMetricIntegral) return false;
    if (!read_string(c, strings, m.member)) return false;
  } else if (shape & kMetricIntegral) {
    m.value = static_cast<double>(unzigzag(c.varint64()));
    if (!integral(m.value)) return false;  // only what the encoder writes
  } else {
    m.value = std::bit_cast<double>(c.u64());
  }
  m.has_rate = (shape & kMetricSampleRate) != 0;
  if (m.has_rate) m.sample_rate = std::bit_cast<double>(c.u64());
  m.delta = (shape & kMetricDelta) != 0;
  tags.push_back(metric_type_tag(m.type));
  std::array<Field, 3> f;
  fields.assign(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(metric_fields(m, f)));
  if (!c.ok() || !c.at_end()) return false;
  point.tags = tags;
  point.fields = fields;
  return true;
}

}  // namespace

bool RecordDecoder::decode_v2(const uint8_t* p, const uint8_t* end, RecordView& out) {
  Cursor c(p, end);
  uint8_t head = c.u8();
  uint8_t kind = head & kHeadKindMask;
  const bool metric = kind == kKindMetric && version_ >= kFormatVersion;
  if (!c.ok() || (head & ~kHeadKnown) != 0 || (kind != kKindPoint && kind != kKindRaw && !metric)) return false;
  out.kind = metric ? RecordKind::kPoint : static_cast<RecordKind>(kind);
  if (head & kHeadSameOrigin) {
    if (!have_previous_) return false;
    out.origin = previous_;
  } else {
    out.origin = Origin{};
    uint32_t listener = c.varint();
    if (listener > UINT16_MAX) return false;
    out.origin.listener = static_cast<uint16_t>(listener);
    if (!read_source(c, out.origin.source)) return false;
  }
  out.origin.receive_ns = undelta(c.varint64(), have_previous_ ? previous_.receive_ns : 0);
  out.point = PointView{};
  out.raw = {};
  if (!c.ok()) return false;
  if (out.kind == RecordKind::kRaw) {
    out.raw = c.rest();
    out.point.time_ns = out.origin.receive_ns;
  } else {
    out.point.time_ns = undelta(c.varint64(), out.origin.receive_ns);
    if (metric) {
      if (!read_string(c, strings_, out.point.measurement) || !read_metric(c, strings_, tags_, fields_, out.point))
        return false;
    } else if (!read_point<FormatV2>(c, strings_, tags_, fields_, out.point)) {
      return false;
    }
  }
  if (!c.ok()) return false;
  previous_ = out.origin;
  have_previous_ = true;
  return true;
}

// Format 1: every record self-contained.
bool RecordDecoder::decode_v1(const uint8_t* p, const uint8_t* end, RecordView& out) {
  Cursor c(p, end);
  uint8_t kind = c.u8();
  if (kind != kKindPoint && kind != kKindRaw) return false;
  out.kind = static_cast<RecordKind>(kind);
  out.origin = Origin{};
  out.origin.listener = c.u16();
  if (!read_source(c, out.origin.source)) return false;
  out.origin.receive_ns = static_cast<int64_t>(c.u64());
  out.point = PointView{};
  out.raw = {};
  if (out.kind == RecordKind::kRaw) {
    out.raw = c.rest();
    out.point.time_ns = out.origin.receive_ns;
    return c.ok();
  }
  out.point.time_ns = static_cast<int64_t>(c.u64());
  return read_point<FormatV1>(c, strings_, tags_, fields_, out.point);
}

}  // namespace ringest
