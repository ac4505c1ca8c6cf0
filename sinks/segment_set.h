// Internal to the partition log: the segments of one partition directory
// besides the one being appended to. Recovery of every segment at open, the
// sparse index files, sealing, retention. Owned and called by the partition's
// shard thread only, through the log's file layer.
//
// Recovery, segment by segment in base-offset order:
//   - a sealed segment whose index is whole and says the segment is exactly
//     as long as the file is trusted without reading it (it was synced before
//     its index was written);
//   - any other segment is read and every batch verified; a damaged batch
//     that valid batches follow is skipped and reported, never cut; a torn
//     tail (damage with nothing valid after it) is cut from the active
//     segment, or from one a crash caught while it was being left (still
//     writable) — a sealed (read-only) segment is never cut, its damage stays
//     for verify to report; the index of a sealed segment is rebuilt from its
//     valid batches if missing or wrong;
//   - offsets continue past the highest one any segment held, a torn last
//     batch's included, so none is ever handed out twice;
//   - a segment that can't be trusted from its first byte (bad header, a name
//     that disagrees with it, offsets overlapping the segment before) is
//     renamed to <name>.damaged, kept for inspection but no longer in the log;
//     an empty segment file is removed;
//   - index files without a segment, and the active segment's index, are removed.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>

#include "sinks/file_layer.h"
#include "sinks/partition_log.h"
#include "sinks/segment_index.h"
#include "sinks/segment_reader.h"

namespace ringest {

class SegmentSet {
 public:
  SegmentSet(const LogOptions& opts, FileIo& io, LogProbe& probe) : opts_(opts), io_(io), probe_(probe) {}

  struct Active {
    bool found = false;  // false: start a new segment at new_base
    SegmentFile file;
    uint64_t end = 0;          // end of its data: the file size after any cut, less padding
    int64_t created_ns = 0;    // from its header
    SegmentIndex index;        // of what it holds
    uint64_t next_offset = 0;  // offset after the log's last record
    uint64_t new_base = 0;     // base for a new segment: past every offset seen
  };
  // Checks every segment (see above), keeps the sealed ones, returns the newest
  // usable one as the active segment. Errors only when a file can't be read,
  // cut or renamed at all.
  Status recover(RecoveryReport& report, Active& active);

  // The active segment was left: write its index and make it read-only, unless
  // it is suspect (then the next open reads and checks it instead).
  void seal(const SegmentIndex& index, bool suspect);

  // Deletes the oldest sealed segments while the partition holds more than
  // retention_bytes (with `active_bytes` of the active segment) or they were
  // sealed more than retention_ms ago — but not while a retention hold still
  // needs records in it. The active segment (from `active_base`) is never deleted.
  void enforce_retention(int64_t now_wall_ns, uint64_t active_bytes, uint64_t active_base);

  uint64_t sealed_bytes() const { return sealed_bytes_; }

 private:
  struct Sealed {
    uint64_t base_offset;
    uint64_t bytes;
    int64_t sealed_ns;  // wall clock: when it was left (its file's mtime after a restart)
  };
  struct Check {
    bool kept = false;
    uint64_t end = 0;
    uint64_t next_offset = 0;  // past every offset the segment held (a torn batch's too); >= index.next_offset
    SegmentHeader header;
    SegmentIndex index;
  };
  Status check(const SegmentFile& seg, uint64_t expected, bool last, Check& c, RecoveryReport& report);
  bool trusted_by_index(const SegmentFile& seg, uint64_t expected, Check& c);
  Status write_index(const SegmentIndex& index);
  void note(RecoveryReport& report, const std::string& line);
  std::filesystem::path path(uint64_t base, const char* suffix) const;

  const LogOptions& opts_;
  FileIo& io_;
  LogProbe& probe_;
  std::deque<Sealed> sealed_;
  uint64_t sealed_bytes_ = 0;
};

}  // namespace ringest
