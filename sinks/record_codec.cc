#include "sinks/record_codec.h"

#include <bit>
#include <cstring>

#include "sinks/coding.h"
#include "sinks/segment_format.h"

namespace ringest {

using namespace segfmt;
using coding::get_u16;
using coding::get_u64;
using coding::get_varint32;
using coding::put_u16;
using coding::put_u64;
using coding::put_varint32;
using coding::varint32_length;

namespace {

size_t str_size(std::string_view s) {
  return varint32_length(static_cast<uint32_t>(s.size())) + s.size();
}

size_t address_size(const SourceAddress& a) {
  switch (a.family) {
    case SourceAddress::kIPv4: return 4;
    case SourceAddress::kIPv6: return 16;
    default: return 0;
  }
}

// kind, listener, family, address, port, receive_ns
size_t origin_size(const Origin& o) {
  return 1 + 2 + 1 + address_size(o.source) + 2 + 8;
}

size_t field_value_size(const Field& f) {
  return f.type == FieldType::kString ? str_size(f.s) : f.type == FieldType::kBool ? 1 : 8;
}

uint8_t* put_str(uint8_t* p, std::string_view s) {
  p = put_varint32(p, static_cast<uint32_t>(s.size()));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

uint8_t* put_origin(uint8_t* p, uint8_t kind, const Origin& o) {
  *p++ = kind;
  put_u16(p, o.listener);
  p += 2;
  size_t n = address_size(o.source);
  *p++ = n == 0 ? kFamilyNone : static_cast<uint8_t>(o.source.family);
  std::memcpy(p, o.source.addr, n);
  p += n;
  put_u16(p, o.source.port);
  p += 2;
  put_u64(p, static_cast<uint64_t>(o.receive_ns));
  return p + 8;
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

size_t point_body_size(const Origin& origin, const PointView& point) {
  size_t n = origin_size(origin) + 8 + str_size(point.measurement);
  n += varint32_length(static_cast<uint32_t>(point.tags.size()));
  for (const Tag& t : point.tags) n += str_size(t.key) + str_size(t.value);
  n += varint32_length(static_cast<uint32_t>(point.fields.size()));
  for (const Field& f : point.fields) n += str_size(f.key) + 1 + field_value_size(f);
  return n;
}

size_t raw_body_size(const Origin& origin, std::string_view bytes) {
  return origin_size(origin) + bytes.size();
}

size_t record_size(size_t body_size) {
  return varint32_length(static_cast<uint32_t>(body_size)) + body_size;
}

uint8_t* encode_point_record(uint8_t* dst, size_t body_size, const Origin& origin, const PointView& point) {
  uint8_t* p = put_varint32(dst, static_cast<uint32_t>(body_size));
  p = put_origin(p, kKindPoint, origin);
  put_u64(p, static_cast<uint64_t>(point.time_ns));
  p += 8;
  p = put_str(p, point.measurement);
  p = put_varint32(p, static_cast<uint32_t>(point.tags.size()));
  for (const Tag& t : point.tags) {
    p = put_str(p, t.key);
    p = put_str(p, t.value);
  }
  p = put_varint32(p, static_cast<uint32_t>(point.fields.size()));
  for (const Field& f : point.fields) {
    p = put_str(p, f.key);
    *p++ = static_cast<uint8_t>(f.type);
    switch (f.type) {
      case FieldType::kFloat:
        put_u64(p, std::bit_cast<uint64_t>(f.f));
        p += 8;
        break;
      case FieldType::kInt:
        put_u64(p, static_cast<uint64_t>(f.i));
        p += 8;
        break;
      case FieldType::kUint:
        put_u64(p, f.u);
        p += 8;
        break;
      case FieldType::kString: p = put_str(p, f.s); break;
      case FieldType::kBool: *p++ = f.b ? 1 : 0; break;
    }
  }
  return p;
}

uint8_t* encode_raw_record(uint8_t* dst, size_t body_size, const Origin& origin, std::string_view bytes) {
  uint8_t* p = put_varint32(dst, static_cast<uint32_t>(body_size));
  p = put_origin(p, kKindRaw, origin);
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

bool RecordDecoder::decode(std::span<const uint8_t>& in, RecordView& out) {
  const uint8_t* begin = in.data();
  const uint8_t* end = begin + in.size();
  uint32_t body = 0;
  const uint8_t* p = get_varint32(begin, end, &body);
  if (p == nullptr || body > static_cast<size_t>(end - p)) return false;
  if (!decode_body(p, p + body, out)) return false;
  in = in.subspan(static_cast<size_t>(p + body - begin));
  return true;
}

bool RecordDecoder::decode_body(const uint8_t* p, const uint8_t* end, RecordView& out) {
  Cursor c(p, end);
  uint8_t kind = c.u8();
  if (kind != kKindPoint && kind != kKindRaw) return false;
  out.kind = static_cast<RecordKind>(kind);
  out.origin = Origin{};
  out.origin.listener = c.u16();
  uint8_t family = c.u8();
  size_t addr_len = family == kFamilyIPv4 ? 4 : family == kFamilyIPv6 ? 16 : 0;
  if (family != kFamilyNone && addr_len == 0) return false;
  out.origin.source.family = static_cast<SourceAddress::Family>(family);
  std::string_view addr = c.bytes(addr_len);
  if (!addr.empty()) std::memcpy(out.origin.source.addr, addr.data(), addr_len);
  out.origin.source.port = c.u16();
  out.origin.receive_ns = static_cast<int64_t>(c.u64());
  out.point = PointView{};
  out.raw = {};
  if (out.kind == RecordKind::kRaw) {
    out.raw = c.rest();
    out.point.time_ns = out.origin.receive_ns;
    return c.ok();
  }
  out.point.time_ns = static_cast<int64_t>(c.u64());
  out.point.measurement = c.str();

  uint32_t ntags = c.varint();
  if (!c.count_fits(ntags, 2)) return false;
  tags_.clear();
  for (uint32_t i = 0; i < ntags && c.ok(); ++i) {
    Tag t;
    t.key = c.str();
    t.value = c.str();
    tags_.push_back(t);
  }
  uint32_t nfields = c.varint();
  if (!c.count_fits(nfields, 3)) return false;
  fields_.clear();
  for (uint32_t i = 0; i < nfields && c.ok(); ++i) {
    Field f;
    f.key = c.str();
    uint8_t type = c.u8();
    switch (type) {
      case kTypeFloat:
        f.type = FieldType::kFloat;
        f.f = std::bit_cast<double>(c.u64());
        break;
      case kTypeInt:
        f.type = FieldType::kInt;
        f.i = static_cast<int64_t>(c.u64());
        break;
      case kTypeUint:
        f.type = FieldType::kUint;
        f.u = c.u64();
        break;
      case kTypeString:
        f.type = FieldType::kString;
        f.s = c.str();
        break;
      case kTypeBool: {
        f.type = FieldType::kBool;
        uint8_t b = c.u8();
        if (b > 1) return false;
        f.b = b == 1;
        break;
      }
      default: return false;
    }
    fields_.push_back(f);
  }
  if (!c.ok() || !c.at_end()) return false;
  out.point.tags = tags_;
  out.point.fields = fields_;
  return true;
}

}  // namespace ringest
