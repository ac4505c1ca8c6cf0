// PartitionLog: one partition of the segment log (data/<partition>/), owned by
// exactly one parser shard. Every call below is made from that shard's thread;
// there are no locks on the write path. The on-disk format is specified in
// docs/segment-format.md and sinks/segment_format.h.
//
// What the words mean here:
//   appended  append_*() copied the record into the open batch in memory.
//   written   the batch's write completed (the bytes are in the page cache).
//   durable   an fdatasync that started after the batch was written completed;
//             probe().durable_offset moves past it. With durability "none"
//             nothing is made durable until close() (or until the segment is
//             left at rotation: a sealed segment is always synced).
//             After a failed fdatasync durable_offset stops moving: the kernel
//             may have dropped the dirty pages, so a later successful sync would
//             not prove the earlier data reached the disk. The segment is not
//             synced again: it is sealed as suspect (an empty <base>.suspect
//             file next to it, counted in segments_suspect) and the next batch
//             starts a new segment.
// A write that fails drops its batch (counted in dropped_disk_full or
// dropped_sink_error); the segment is cut back so no partial batch remains, and
// the dropped batch's offsets are not reused (offsets can have a gap).
// A datagram's records always land in one batch: a batch is sealed only at a
// datagram boundary (end_datagram()), so a datagram is stored or dropped whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/counter.h"
#include "common/status.h"
#include "sinks/compression.h"
#include "sinks/retention_hold.h"
#include "common/point.h"

namespace ringest {

enum class Durability : uint8_t { kNone, kInterval, kBatch };
// Indexed by Durability: the names the configuration uses.
inline constexpr std::string_view kDurabilityNames[] = {"none", "interval", "batch"};

struct LogOptions {
  std::filesystem::path dir;               // the partition's own directory
  uint32_t partition = 0;
  uint64_t segment_bytes = 128ull << 20;   // rotate when the active segment reaches this
  uint32_t batch_bytes = 256u << 10;       // seal a batch when its payload reaches this
  uint32_t writes_in_flight = 4;           // batches submitted but not yet completed
  Durability durability = Durability::kInterval;
  uint32_t sync_interval_ms = 200;         // for kInterval
  uint32_t linger_ms = 5;                  // longest a complete datagram waits in the open batch (0: none)
  bool preallocate = true;                 // fallocate each new segment to segment_bytes
  bool direct_io = true;                   // write with O_DIRECT where the file system takes it
  uint64_t segment_ms = 0;                 // also rotate when the active segment is this old (0: never)
  uint64_t retention_bytes = 0;            // delete the oldest sealed segments past this (0: keep all)
  uint64_t retention_ms = 0;               // delete sealed segments sealed longer ago (0: keep all)
  Compression compression = Compression::kNone;  // per batch, when it makes the batch smaller
  RetentionHolds* holds = nullptr;         // readers' needs retention respects (outlives the log)
};

// What recovery found and did when the log was opened.
struct RecoveryReport {
  uint32_t segments = 0;          // segments found
  uint64_t next_offset = 0;       // offset the next record gets
  uint64_t truncated_bytes = 0;   // cut from torn tails, plus the size of set-aside segments
  uint32_t skipped_spans = 0;     // damaged spans that valid batches follow: skipped, kept on disk
  uint64_t skipped_bytes = 0;     // their bytes (and a sealed segment's torn tail, kept too)
  uint64_t lost_offsets = 0;      // offsets of the records in the skipped spans
  uint32_t set_aside = 0;         // segments removed (empty) or renamed to *.damaged
  uint32_t indexes_rebuilt = 0;   // sealed segments whose .idx was missing or wrong
  std::string detail;             // one line for the log, empty if nothing was cut
};

// Counters, written by the shard thread, read at scrape time.
struct LogProbe {
  Counter records_written;
  Counter batches_written;
  Counter bytes_written;
  Counter datagrams_stored;        // datagrams whose batch write completed
  Counter dropped_disk_full;       // datagrams lost to ENOSPC
  Counter dropped_sink_error;      // datagrams lost to any other write error
  Counter syncs;
  Counter sync_errors;
  Counter segments_created;
  Counter segments_suspect;        // sealed early after a failed fdatasync (<base>.suspect)
  Counter recovery_cut_bytes;      // bytes recovery cut or set aside at open
  Counter recovery_skipped_bytes;  // damaged bytes recovery found and skipped (left on disk)
  Counter recovery_lost_records;   // records in the damaged batches recovery skipped
  Counter segments_deleted;        // by retention
  Counter log_bytes;               // bytes in the partition's segments now (a gauge)
  Counter next_offset;             // offset the next appended record gets
  Counter durable_offset;          // records below this offset are durable
  // A gauge: 0 while writes succeed, else what made the last one fail
  // (WriteFailure); back to 0 when a batch is written again.
  Counter write_failing;
  // Monotonic ns since which writes or syncs have been outstanding without a
  // completion; 0 while none is. What the watchdog reads: a disk that stops
  // answering shows here though the shard thread keeps running.
  Counter io_waiting_since_ns;
};

enum WriteFailure : uint64_t { kWriting = 0, kDiskFull = 1, kWriteError = 2 };

// How a batch's write ended for the datagrams in it.
enum class Settled : uint8_t { kStored, kDiskFull, kWriteError };

// Told, on the shard thread, how the datagrams of each ledger key (given to
// end_datagram) settled when their batch was written or dropped, so stored
// and sink drops can be kept per listener as well as per partition. Every
// datagram ended with end_datagram() is told exactly once, at the latest by
// close().
class SettleObserver {
 public:
  virtual ~SettleObserver() = default;
  virtual void settled(uint16_t ledger, uint32_t datagrams, Settled how) = 0;
};

class PartitionLog {
 public:
  // Opens (creating if needed) the partition directory, recovers the active
  // segment (truncating a torn tail, skipping damaged batches that valid ones
  // follow, reported in `report`) and gets ready to append after the highest
  // offset ever written. Returns null and sets `err` if the directory is unusable.
  static std::unique_ptr<PartitionLog> open(const LogOptions& opts, RecoveryReport& report, Status& err);

  virtual ~PartitionLog() = default;

  // Copy one record into the open batch. Returns false (and stores nothing)
  // only if a single record is larger than a batch may be.
  virtual bool append_point(const Origin& origin, const PointView& point) = 0;
  // The points `metrics` stand for, in order, each stored as append_point()
  // stores it (all from one datagram: `origin`). Returns how many were stored.
  virtual size_t append_metrics(const Origin& origin, std::span<const MetricView> metrics) = 0;
  virtual bool append_raw(const Origin& origin, std::string_view bytes) = 0;
  // The records appended since the last call form one datagram. `ledger`:
  // whom the SettleObserver tells about it (the daemon passes the listener's
  // slot in this run, which, unlike Origin::listener, no two running
  // listeners share).
  virtual void end_datagram(uint16_t ledger) = 0;
  void end_datagram() { end_datagram(0); }

  // Seals and submits the open batch if it holds anything.
  virtual void flush() = 0;
  // Reaps completed writes and syncs, writes the open batch once its first
  // datagram has lingered linger_ms, starts an interval sync when one is due.
  // Never blocks. Call it after appends and by next_deadline().
  virtual void poll(int64_t now_mono_ns) = 0;
  // The monotonic time by which poll() must be called again: soon while writes
  // or syncs are in flight, else at the next linger, sync or age/retention
  // check; INT64_MAX when the log has nothing to do until more is appended.
  virtual int64_t next_deadline(int64_t now_mono_ns) const = 0;
  // Writes everything appended, waits for it, syncs (whatever the policy) and
  // closes. After this the object only answers probe().
  virtual Status close() = 0;

  virtual const LogProbe& probe() const = 0;
  // Set once, before the first append; null: nobody is told.
  virtual void set_observer(SettleObserver* observer) = 0;
  // How batches reach the disk, for the log: "direct I/O, io_uring, registered
  // buffers", or "page cache (direct I/O refused: <why>), io_uring".
  virtual std::string write_path() const = 0;
  // Why the last batch was dropped (empty if none was). Shard thread only.
  virtual std::string last_write_error() const = 0;
};

}  // namespace ringest
