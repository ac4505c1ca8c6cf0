#include "sinks/segment_index.h"

#include <algorithm>
#include <cstring>

#include "sinks/coding.h"
#include "sinks/crc32c.h"
#include "sinks/segment_format.h"

namespace ringest {

using namespace idxfmt;

void SegmentIndex::add_batch(uint64_t pos, const BatchHeader& h) {
  if (entries.empty() || pos >= entries.back().pos + kIndexIntervalBytes) {
    entries.push_back(IndexEntry{h.base_offset, pos});
  }
  IndexEntry& e = entries.back();
  e.min_time = std::min(e.min_time, h.min_time_ns);
  e.max_time = std::max(e.max_time, h.max_time_ns);
  end_pos = pos + h.length;
  next_offset = h.end_offset();
}

uint64_t SegmentIndex::position_for_offset(uint64_t offset) const {
  uint64_t pos = segfmt::kSegmentHeaderSize;
  for (const IndexEntry& e : entries) {
    if (e.offset > offset) break;
    pos = e.pos;
  }
  return pos;
}

uint64_t SegmentIndex::position_for_time(int64_t since) const {
  for (const IndexEntry& e : entries) {
    if (e.max_time >= since) return e.pos;
  }
  return end_pos;
}

int64_t SegmentIndex::min_time() const {
  int64_t t = std::numeric_limits<int64_t>::max();
  for (const IndexEntry& e : entries) t = std::min(t, e.min_time);
  return t;
}

int64_t SegmentIndex::max_time() const {
  int64_t t = std::numeric_limits<int64_t>::min();
  for (const IndexEntry& e : entries) t = std::max(t, e.max_time);
  return t;
}

std::vector<uint8_t> encode_index(const SegmentIndex& idx) {
  std::vector<uint8_t> out(kHeaderSize + kEntrySize * idx.entries.size(), 0);
  uint8_t* p = out.data();
  std::memcpy(p, kMagic, sizeof kMagic);
  coding::put_u16(p + 8, kVersion);
  coding::put_u16(p + 10, static_cast<uint16_t>(kHeaderSize));
  coding::put_u32(p + 12, idx.partition);
  coding::put_u64(p + 16, idx.base_offset);
  coding::put_u64(p + 24, idx.end_pos);
  coding::put_u64(p + 32, idx.next_offset);
  coding::put_u32(p + 40, static_cast<uint32_t>(idx.entries.size()));
  uint8_t* e = p + kHeaderSize;
  for (const IndexEntry& x : idx.entries) {
    coding::put_u64(e, x.offset);
    coding::put_u64(e + 8, x.pos);
    coding::put_u64(e + 16, static_cast<uint64_t>(x.min_time));
    coding::put_u64(e + 24, static_cast<uint64_t>(x.max_time));
    e += kEntrySize;
  }
  uint32_t crc = crc32c::value(p, kCrcAt);
  crc = crc32c::extend(crc, p + kHeaderSize, out.size() - kHeaderSize);
  coding::put_u32(p + kCrcAt, crc);
  return out;
}

bool decode_index(std::span<const uint8_t> in, SegmentIndex& out, const char** why) {
  if (in.size() < kHeaderSize) return (*why = "truncated index header"), false;
  const uint8_t* p = in.data();
  if (std::memcmp(p, kMagic, sizeof kMagic) != 0) return (*why = "bad index magic"), false;
  if (coding::get_u16(p + 8) != kVersion || coding::get_u16(p + 10) != kHeaderSize) {
    return (*why = "unknown index version"), false;
  }
  uint32_t count = coding::get_u32(p + 40);
  if (in.size() != kHeaderSize + uint64_t{count} * kEntrySize) return (*why = "index size disagrees"), false;
  uint32_t crc = crc32c::value(p, kCrcAt);
  crc = crc32c::extend(crc, p + kHeaderSize, in.size() - kHeaderSize);
  if (crc != coding::get_u32(p + kCrcAt)) return (*why = "index checksum mismatch"), false;
  out = SegmentIndex{};
  out.partition = coding::get_u32(p + 12);
  out.base_offset = coding::get_u64(p + 16);
  out.end_pos = coding::get_u64(p + 24);
  out.next_offset = coding::get_u64(p + 32);
  const uint8_t* e = p + kHeaderSize;
  for (uint32_t i = 0; i < count; ++i, e += kEntrySize) {
    out.entries.push_back(IndexEntry{coding::get_u64(e), coding::get_u64(e + 8),
                                     static_cast<int64_t>(coding::get_u64(e + 16)),
                                     static_cast<int64_t>(coding::get_u64(e + 24))});
  }
  return true;
}

std::string index_file_name(uint64_t base_offset) {
  std::string name = segment_file_name(base_offset);
  return name.substr(0, name.size() - (sizeof segfmt::kSegmentSuffix - 1)) + kSuffix;
}

}  // namespace ringest
