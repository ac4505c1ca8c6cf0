// LogTail: reads one partition's batches in order while the daemon appends
// to it — for ringest-dump's --follow and for outputs. It remembers the
// segment, the file position after the last batch it handed out and the next
// offset, and each step() reads on from there, a bounded chunk at a time.
//
// In the newest segment a batch still being written looks torn, and a later
// batch may complete before an earlier one, so reading stops at the first gap
// and tries again at the next step. Once a segment is no longer the newest,
// damage in it is reported and skipped to the next valid batch, and reading
// goes on with the next segment. Segments deleted by retention are skipped.
// Single-threaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "sinks/segment_reader.h"

namespace ringest {

class LogTail {
 public:
  // Batches whose records end above `from_offset` are handed out. Files are
  // read `chunk_bytes` at a time (a longer batch is read whole).
  explicit LogTail(std::filesystem::path partition_dir, uint64_t from_offset = 0, uint64_t chunk_bytes = 16u << 20,
                   SegmentReader::Checks checks = SegmentReader::Checks::kRecords);

  // Told each batch in order: the verified view and its bytes as stored
  // (header, CRC and payload). Return false to stop: the same batch comes
  // again at the next step.
  using Visit = std::function<bool(const BatchView& batch, std::span<const uint8_t> stored)>;
  // Told about damage in a sealed segment before reading goes past it.
  using Damage = std::function<void(const std::filesystem::path& segment, uint64_t file_pos)>;

  // Hands out what is new, up to the first batch with records at or past
  // `limit_offset` (the log's durable offset, for readers that must see only
  // durable records). Returns the number of batches handed out.
  size_t step(const Visit& visit, uint64_t limit_offset = UINT64_MAX, const Damage& damage = nullptr);

  // Where reading goes on: the offset after the last batch handed out.
  uint64_t next_offset() const { return from_; }
  // Stored bytes from where reading goes on to the end of the log (lists the
  // directory: for metrics, not for every batch).
  uint64_t bytes_behind() const;

 private:
  // Reads segment `s` from pos_; false when it stopped before the segment's
  // end (a gap, a limit, the visitor), true when it has nothing more now.
  bool read_segment(const SegmentFile& s, bool newest, const Visit& visit, uint64_t limit, const Damage& damage,
                    size_t& handed);

  std::filesystem::path dir_;
  uint64_t from_;              // records below this were handed out (or not wanted)
  uint64_t base_ = UINT64_MAX;  // the segment being read; UINT64_MAX: none yet
  uint64_t pos_ = 0;           // 0: its header is still to be read
  uint64_t next_offset_ = 0;   // the offset the batch at pos_ starts with
  uint64_t chunk_;
  SegmentReader::Checks checks_;
  std::vector<uint8_t> buf_;
};

}  // namespace ringest
