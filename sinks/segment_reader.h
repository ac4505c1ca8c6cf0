// Reading the segment log: one segment's bytes (SegmentReader), one batch's
// records (BatchRecords), and whole partitions and data directories
// (list_*, read_partition). Daemon recovery, ringest-dump and the tests all read
// through this code.
//
// The rule: a reader never returns a partial or corrupt record. A batch is
// handed out only after its header, length, CRC and every record in it have been
// checked. A damaged batch costs that batch only (leveldb's log reader and
// Kafka's recovery work the same way): the reader reports it with its file
// position and a reason, then looks for the next batch boundary — the first
// position after the damage where a whole batch verifies (a sound header, a
// length inside the file, its CRC32C over every byte after the CRC field, its
// records, offsets above the last good batch's) — and goes on from there.
// Damage with no valid batch after it is the segment's torn tail.
//
// Live segments are the exception: while a segment is being appended to,
// writes complete out of order, so a gap before a whole batch may still be
// filling. Readers of the newest segment of a running log (--follow) ask for
// stop_at_damage, and resynchronise only once the segment is sealed.
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
  enum class OnDamage { kResync, kStop };
  // kCrcOnly: a batch verifies by its header and CRC32C alone, its records
  // not decoded one by one — for readers that pass batches on whole (an
  // output's batch encoding; the consumer checks the records).
  enum class Checks { kRecords, kCrcOnly };
  SegmentReader(std::span<const uint8_t> bytes, Reporter* reporter, OnDamage on_damage = OnDamage::kResync,
                Checks checks = Checks::kRecords);

  // Checks the segment header; call once, first. False (and reported) if it is
  // truncated or damaged: nothing in the file can be trusted then.
  bool read_header(SegmentHeader& out);
  // Instead of read_header(): `bytes` is the file from byte `file_pos` on, where
  // a batch with offsets from `next_offset` starts (a position an index or an
  // earlier read gave). Positions reported stay file positions.
  void resume(uint64_t file_pos, uint64_t next_offset);
  // The next verified batch, past any damaged span that a valid batch follows
  // (each span reported once, where it starts). False at the end of the
  // segment: a clean end, or damage with nothing valid after it (a torn tail,
  // reported), or with kStop the first damage. Every later call returns false.
  bool next_batch(BatchView& out);

  // Damage anywhere so far: a skipped span or a torn tail.
  bool damaged() const { return damaged_; }
  // The reading stopped at damage (a torn tail, or kStop): valid_end() is
  // below the file's end.
  bool torn() const { return torn_; }
  // The reading ended at direct I/O padding: valid_end() is where the next
  // batch goes, the file's end is past it.
  bool padded() const { return padded_; }
  // Bytes from the start of the file to the end of the last verified batch (or
  // of the header): the length to cut a torn tail to.
  uint64_t valid_end() const { return base_ + pos_; }
  // The offset the record after the last verified batch gets (the header's base
  // offset if there is no batch yet).
  uint64_t next_offset() const { return next_offset_; }
  // Past every offset the segment may have held: next_offset(), or the end a
  // torn last batch's header claims when that header is sound and starts
  // where the last good batch ended. A log continues from here so that the
  // offsets of records it cut are never given to new ones.
  uint64_t claimed_end_offset() const { return claimed_end_; }
  // Damaged spans skipped because valid batches follow them; their bytes; and
  // the offsets between the batches on either side (the records lost).
  uint32_t skipped_spans() const { return skipped_spans_; }
  uint64_t skipped_bytes() const { return skipped_bytes_; }
  uint64_t lost_offsets() const { return lost_offsets_; }

 private:
  void report(uint64_t at, std::string_view reason);
  // Verifies the batch at bytes_[at]; fills `out` (positions as file
  // positions) or sets `why`.
  bool batch_at(uint64_t at, BatchView& out, const char** why);
  // The first position after `from` where a batch verifies, or npos.
  uint64_t next_valid(uint64_t from, BatchView& out);
  void claim(uint64_t at);
  bool is_padding(uint64_t at) const;
  bool verify_records(const BatchHeader& h, std::span<const uint8_t> payload, const char** why);

  std::span<const uint8_t> bytes_;
  Reporter* reporter_;
  uint64_t base_ = 0;  // file position of bytes_[0]
  uint64_t pos_ = 0;   // in bytes_
  uint64_t next_offset_ = 0;
  uint64_t claimed_end_ = 0;
  OnDamage on_damage_;
  Checks checks_;
  bool header_read_ = false;
  bool damaged_ = false;
  bool torn_ = false;
  bool padded_ = false;
  uint32_t skipped_spans_ = 0;
  uint64_t skipped_bytes_ = 0;
  uint64_t lost_offsets_ = 0;
  RecordDecoder decoder_;
  std::vector<uint8_t> inflated_;  // the last compressed batch's records
};

// Walks the records of a batch SegmentReader verified.
class BatchRecords {
 public:
  explicit BatchRecords(const BatchView& batch) : rest_(batch.payload), offset_(batch.header.base_offset) {
    decoder_.begin_batch(batch.header.version);
  }
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
// `range` to `visitor`. Damage is reported and skipped to the next valid
// batch; a torn tail ends its segment and reading goes on with the next one. Also damage: a segment header whose base
// offset disagrees with the file name, or offsets that go backwards. Segments
// and spans that the sparse index (sinks/segment_index.h) shows to be outside
// the range are not read at all. Returns an error only when a file can't be
// read at all.
Status read_partition(const PartitionDir& p, LogVisitor& visitor, const ReadRange& range = {});

}  // namespace ringest
