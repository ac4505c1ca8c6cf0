// Segment and batch headers as values, and their encoding (layout in
// sinks/segment_format.h). Decoding checks everything the header alone can
// check; the payload checks (CRC over the whole batch, records) are the
// reader's. Plus segment file naming. No allocation except segment_file_name().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sinks/segment_format.h"

namespace ringest {

struct SegmentHeader {
  uint32_t partition = 0;
  uint64_t base_offset = 0;
  int64_t created_ns = 0;
  uint16_t version = segfmt::kFormatVersion;  // of the writer that created the segment
};

// Writes the 64-byte header, CRC included.
void encode_segment_header(const SegmentHeader& h, uint8_t* out);
// Fails with a short reason (a string literal) for bad magic, version, size,
// reserved bytes or CRC.
bool decode_segment_header(std::span<const uint8_t> in, SegmentHeader& h, const char** why);

struct BatchHeader {
  uint32_t length = 0;  // header + payload
  uint32_t crc = 0;
  uint8_t version = segfmt::kFormatVersion;  // how its records are encoded
  uint8_t flags = 0;
  uint32_t record_count = 0;
  uint64_t base_offset = 0;
  int64_t min_time_ns = 0;
  int64_t max_time_ns = 0;
  uint32_t payload_length = 0;

  uint64_t end_offset() const { return base_offset + record_count; }
};

// Writes the header fields of a batch whose payload already follows it at
// batch[kBatchHeaderSize, h.length), then the CRC over [8, length). `h.crc` is
// ignored; the version written is h.version.
void seal_batch(BatchHeader& h, uint8_t* batch);
// Decodes the 48 header bytes and checks version, header size, flags, reserved
// bytes and that length, payload length and kMaxBatchLength agree. Does not
// check the CRC (needs the payload).
bool decode_batch_header(const uint8_t* in, BatchHeader& h, const char** why);

// "00000000000000001234.seg"
std::string segment_file_name(uint64_t base_offset);
// The base offset a segment file name stands for, or nothing if it is not one.
std::optional<uint64_t> parse_segment_file_name(std::string_view name);

}  // namespace ringest
