// The sparse index next to each segment: <base offset>.idx. It maps record
// offsets to file positions and time ranges to the spans that can hold them,
// so a reader can start in the middle of a segment and skip what a time range
// excludes. It is only ever a shortcut: everything in it can be rebuilt from
// its segment, and it is rebuilt whenever it is missing, damaged or disagrees
// with the segment (layout in docs/segment-format.md, "Index file").
//
// Index file := 64-byte header, then entry count 32-byte entries:
//   header: 0 magic "RINGIDX\0" | 8 u16 version 1 | 10 u16 header size 64 |
//           12 u32 partition | 16 u64 segment base offset |
//           24 u64 segment end position (the segment's size when indexed) |
//           32 u64 next offset (after the segment's last record) |
//           40 u32 entry count | 44..60 reserved zero |
//           60 u32 CRC32C of header bytes [0, 60) followed by every entry
//   entry:  0 u64 offset of the first record of the span | 8 u64 file position
//           of its batch | 16 i64 min time | 24 i64 max time of the span
// A span runs from its entry to the next entry (or the segment end). A new
// span starts at the first batch at least kIndexIntervalBytes past the last.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "sinks/segment_headers.h"

namespace ringest {

namespace idxfmt {
inline constexpr uint8_t kMagic[8] = {'R', 'I', 'N', 'G', 'I', 'D', 'X', '\0'};
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kEntrySize = 32;
inline constexpr size_t kCrcAt = 60;
inline constexpr uint64_t kIndexIntervalBytes = 64u << 10;
inline constexpr char kSuffix[] = ".idx";
}  // namespace idxfmt

struct IndexEntry {
  uint64_t offset = 0;
  uint64_t pos = 0;
  int64_t min_time = std::numeric_limits<int64_t>::max();
  int64_t max_time = std::numeric_limits<int64_t>::min();
  bool operator==(const IndexEntry&) const = default;
};

struct SegmentIndex {
  uint32_t partition = 0;
  uint64_t base_offset = 0;
  uint64_t end_pos = 0;
  uint64_t next_offset = 0;
  std::vector<IndexEntry> entries;
  bool operator==(const SegmentIndex&) const = default;

  // Adds a verified batch that starts at `pos` (batches in file order).
  void add_batch(uint64_t pos, const BatchHeader& h);
  // Where to start reading for records at or after `offset`: the position of
  // the span that holds it (the segment header's end if there is no entry).
  uint64_t position_for_offset(uint64_t offset) const;
  // Where to start reading for records with time >= `since`: the first span
  // whose max time reaches it, or end_pos if none does.
  uint64_t position_for_time(int64_t since) const;
  // Smallest and largest record time in the segment (max < min if empty).
  int64_t min_time() const;
  int64_t max_time() const;
};

std::vector<uint8_t> encode_index(const SegmentIndex& idx);
// False, with a short reason, for anything but a whole, checksummed index.
bool decode_index(std::span<const uint8_t> in, SegmentIndex& out, const char** why);

// "00000000000000001234.idx"
std::string index_file_name(uint64_t base_offset);

}  // namespace ringest
