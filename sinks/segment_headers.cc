#include "sinks/segment_headers.h"

#include <cstdio>
#include <cstring>

#include "sinks/coding.h"
#include "sinks/crc32c.h"

namespace ringest {

using namespace segfmt;
using coding::get_u16;
using coding::get_u32;
using coding::get_u64;
using coding::put_u16;
using coding::put_u32;
using coding::put_u64;

namespace {

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

bool fail(const char** why, const char* reason) {
  *why = reason;
  return false;
}

}  // namespace

void encode_segment_header(const SegmentHeader& h, uint8_t* out) {
  std::memset(out, 0, kSegmentHeaderSize);
  std::memcpy(out + kSegMagicAt, kSegmentMagic, sizeof kSegmentMagic);
  put_u16(out + kSegVersionAt, h.version);
  put_u16(out + kSegHeaderSizeAt, kSegmentHeaderSize);
  put_u32(out + kSegPartitionAt, h.partition);
  put_u64(out + kSegBaseOffsetAt, h.base_offset);
  put_u64(out + kSegCreatedAt, static_cast<uint64_t>(h.created_ns));
  put_u32(out + kSegCrcAt, crc32c::value(out, kSegCrcAt));
}

bool decode_segment_header(std::span<const uint8_t> in, SegmentHeader& h, const char** why) {
  if (in.size() < kSegmentHeaderSize) return fail(why, "truncated segment header");
  const uint8_t* p = in.data();
  if (std::memcmp(p + kSegMagicAt, kSegmentMagic, sizeof kSegmentMagic) != 0) {
    return fail(why, "bad segment magic");
  }
  if (get_u32(p + kSegCrcAt) != crc32c::value(p, kSegCrcAt)) {
    return fail(why, "segment header checksum mismatch");
  }
  h.version = get_u16(p + kSegVersionAt);
  if (!known_version(h.version)) {
    return fail(why, "unsupported segment format version");
  }
  if (get_u16(p + kSegHeaderSizeAt) != kSegmentHeaderSize) return fail(why, "bad segment header size");
  if (!all_zero(p + kSegReservedAt, kSegCrcAt - kSegReservedAt)) {
    return fail(why, "reserved segment header bytes not zero");
  }
  h.partition = get_u32(p + kSegPartitionAt);
  h.base_offset = get_u64(p + kSegBaseOffsetAt);
  h.created_ns = static_cast<int64_t>(get_u64(p + kSegCreatedAt));
  return true;
}

void seal_batch(BatchHeader& h, uint8_t* batch) {
  put_u32(batch + kBatchLengthAt, h.length);
  batch[kBatchVersionAt] = h.version;
  batch[kBatchFlagsAt] = h.flags;
  put_u16(batch + kBatchHeaderSizeAt, kBatchHeaderSize);
  put_u32(batch + kBatchCountAt, h.record_count);
  put_u64(batch + kBatchBaseOffsetAt, h.base_offset);
  put_u64(batch + kBatchMinTimeAt, static_cast<uint64_t>(h.min_time_ns));
  put_u64(batch + kBatchMaxTimeAt, static_cast<uint64_t>(h.max_time_ns));
  put_u32(batch + kBatchPayloadLengthAt, h.payload_length);
  put_u32(batch + kBatchReservedAt, 0);
  h.crc = crc32c::value(batch + kBatchCrcFrom, h.length - kBatchCrcFrom);
  put_u32(batch + kBatchCrcAt, h.crc);
}

bool decode_batch_header(const uint8_t* in, BatchHeader& h, const char** why) {
  h.length = get_u32(in + kBatchLengthAt);
  h.crc = get_u32(in + kBatchCrcAt);
  h.flags = in[kBatchFlagsAt];
  h.record_count = get_u32(in + kBatchCountAt);
  h.base_offset = get_u64(in + kBatchBaseOffsetAt);
  h.min_time_ns = static_cast<int64_t>(get_u64(in + kBatchMinTimeAt));
  h.max_time_ns = static_cast<int64_t>(get_u64(in + kBatchMaxTimeAt));
  h.payload_length = get_u32(in + kBatchPayloadLengthAt);
  if (h.length == 0) return fail(why, "zero batch length (zero-filled or preallocated tail)");
  if (h.length < kBatchHeaderSize || h.length > kMaxBatchLength) {
    return fail(why, "batch length out of range");
  }
  h.version = in[kBatchVersionAt];
  if (!known_version(h.version)) return fail(why, "unsupported batch format version");
  if (get_u16(in + kBatchHeaderSizeAt) != kBatchHeaderSize) return fail(why, "bad batch header size");
  if (h.payload_length != h.length - kBatchHeaderSize) {
    return fail(why, "batch payload length disagrees with batch length");
  }
  if ((h.flags & ~kKnownFlags) != 0) return fail(why, "unknown batch flags");
  if (h.record_count == 0) return fail(why, "batch with no records");
  if (h.min_time_ns > h.max_time_ns) return fail(why, "batch min time after max time");
  if (get_u32(in + kBatchReservedAt) != 0) return fail(why, "reserved batch header bytes not zero");
  return true;
}

std::string segment_file_name(uint64_t base_offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu%s", static_cast<unsigned long long>(base_offset), kSegmentSuffix);
  return buf;
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  constexpr size_t kSuffixLen = sizeof kSegmentSuffix - 1;
  if (name.size() != kSegmentNameDigits + kSuffixLen) return std::nullopt;
  if (name.substr(kSegmentNameDigits) != kSegmentSuffix) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < kSegmentNameDigits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace ringest
