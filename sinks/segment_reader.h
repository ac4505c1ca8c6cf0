// Reading the segment log: one segment's bytes (SegmentReader), one batch's
// records (BatchRecords), and whole partitions and data directories
// (list_*, read_partition). Daemon recovery, ringest-dump and the tests all read
// through this code.
//
// The rule: a reader never returns a partial or corrupt record. A batch is
// handed out only after its header, length, CRC and every record in it have been
// checked. The first damaged batch ends the segment: it is reported with its
// file position and a reason, and nothing after it in that segment is trusted
// (a length can't be trusted past damage, so there is no resynchronising).
//
// Single-threaded objects; several readers may read the same files at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sinks/record_codec.h"
#include "sinks/segment_headers.h"

namespace ringest {

// Told about damage as a reader finds it.
class Reporter {
 public:
  virtual ~Reporter() = default;
  // `file_pos`: byte position in the segment file where the damaged header or
  // batch starts. `reason`: a short phrase, valid during the call.
  virtual void corruption(uint64_t file_pos, std::string_view reason) = 0;
};

// A verified batch. `payload` is the records: it points into the bytes given
// to the reader, or for a compressed batch into the reader's own buffer, valid
// until its next next_batch() call.
struct BatchView {
  uint64_t file_pos = 0;  // where the batch header starts
  BatchHeader header;
  std::span<const uint8_t> payload;
};

class SegmentReader {
 public:
  // `bytes` is the whole segment file and must outlive the reader and all it
  // returns. `reporter` may be null.
  SegmentReader(std::span<const uint8_t> bytes, Reporter* reporter);

  // Checks the segment header; call once, first. False (and reported) if it is
  // truncated or damaged: nothing in the file can be trusted then.
  bool read_header(SegmentHeader& out);
  // Instead of read_header(): `bytes` is the file from byte `file_pos` on, where
  // a batch with offsets from `next_offset` starts (a position an index or an
  // earlier read gave). Positions reported stay file positions.
  void resume(uint64_t file_pos, uint64_t next_offset);
  // The next verified batch. False at the clean end of the segment, or at the
  // first damaged batch (reported; every later call returns false too).
  bool next_batch(BatchView& out);

  bool damaged() const { return damaged_; }
  // Bytes from the start of the file to the end of the last verified batch (or
  // of the header): the length to cut the file to if it is damaged.
  uint64_t valid_end() const { return base_ + pos_; }
  // The offset the record after the last verified batch gets (the header's base
  // offset if there is no batch yet).
  uint64_t next_offset() const { return next_offset_; }

 private:
  bool damage(uint64_t at, std::string_view reason);
  bool verify_records(const BatchHeader& h, std::span<const uint8_t> payload, const char** why);

  std::span<const uint8_t> bytes_;
  Reporter* reporter_;
  uint64_t base_ = 0;  // file position of bytes_[0]
  uint64_t pos_ = 0;   // in bytes_
  uint64_t next_offset_ = 0;
  bool header_read_ = false;
  bool damaged_ = false;
  RecordDecoder decoder_;
  std::vector<uint8_t> inflated_;  // the last compressed batch's records
};

// Walks the records of a batch SegmentReader verified.
class BatchRecords {
 public:
  explicit BatchRecords(const BatchView& batch) : rest_(batch.payload), offset_(batch.header.base_offset) {}
  // The next record and its offset; false after the last. `out` is valid until
  // the next call and while the segment bytes live.
  bool next(RecordView& out, uint64_t& offset);

 private:
  RecordDecoder decoder_;
  std::span<const uint8_t> rest_;
  uint64_t offset_;
};

struct SegmentFile {
  uint64_t base_offset = 0;  // from the file name
  std::filesystem::path path;
};

struct PartitionDir {
  uint32_t partition = 0;
  std::filesystem::path path;
  std::vector<SegmentFile> segments;  // by base offset
};

// The segment files of a partition directory, by base offset. Other files are
// ignored.
Status list_segments(const std::filesystem::path& partition_dir, std::vector<SegmentFile>& out);
// The partitions of a data directory: subdirectories named by a decimal
// partition number, by partition, each with its segments. If `dir` itself holds
// segment files it is taken as one partition directory (partition from its
// name, else from the first segment header, else 0).
Status list_partitions(const std::filesystem::path& dir, std::vector<PartitionDir>& out);

// What read_partition reports as it goes. Views are valid during the call only.
class LogVisitor {
 public:
  virtual ~LogVisitor() = default;
  virtual void on_segment(const SegmentFile& /*segment*/, const SegmentHeader& /*header*/) {}
  virtual void on_batch(const SegmentFile& /*segment*/, const BatchView& /*batch*/) {}
  virtual void on_record(uint32_t partition, uint64_t offset, const RecordView& record) = 0;
  virtual void on_damage(const std::filesystem::path& file, uint64_t file_pos, std::string_view reason) = 0;
};

// Which records read_partition hands out: offset >= from_offset and
// since_ns <= time <= until_ns.
struct ReadRange {
  uint64_t from_offset = 0;
  int64_t since_ns = INT64_MIN;
  int64_t until_ns = INT64_MAX;
};

// Reads every segment of `p` in order and hands every verified record in
// `range` to `visitor`. Damage stops the segment it is in (reported); reading
// goes on with the next segment. Also damage: a segment header whose base
// offset disagrees with the file name, or offsets that go backwards. Segments
// and spans that the sparse index (sinks/segment_index.h) shows to be outside
// the range are not read at all. Returns an error only when a file can't be
// read at all.
Status read_partition(const PartitionDir& p, LogVisitor& visitor, const ReadRange& range = {});

}  // namespace ringest
