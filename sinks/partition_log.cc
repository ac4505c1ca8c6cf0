// PartitionLog: batches in memory, asynchronous writes through the file layer,
// durability by policy, recovery at open. See sinks/partition_log.h for what
// appended / written / durable mean, docs/segment-format.md for the bytes.
//
// Write pipeline. Batches go through a small pool (writes_in_flight + 1 buffers:
// one taking appends while writes_in_flight are on their way). queue_ holds the
// sealed batches in seal order; they are submitted in that order at increasing
// file positions, several at once. A batch counts as written only when it and
// every batch before it completed, so written_pos_ / written_offset_ only ever
// describe a gap-free prefix of the file.
//
// A failed write leaves a hole. Once nothing is in flight, the file is cut back
// to written_pos_, the failed batches are dropped and counted, and batches that
// completed after the hole are written again behind the cut (their record
// offsets keep a gap where the dropped batch was). If the cut itself fails, the
// log moves on to a new segment.
//
// Direct I/O (O_DIRECT, FILE_FLAG_NO_BUFFERING) writes whole aligned blocks
// from aligned memory, as Redpanda's DMA segment appender does. A batch rarely
// starts on a block boundary, so its write starts at the boundary before it,
// with the bytes the file already holds there (tail_) copied in front of the
// batch (BatchBuffer's lead), and ends at the boundary after it, padded with
// zeros: the partial last block is written again, fuller, by the next batch.
// Two writes that share a block can't run at once (the older one's padding
// could land last), so such a batch waits until nothing is in flight. Readers
// take the zeros after the last batch as its end (the padding rule of
// docs/segment-format.md); the file is cut to its data when it is closed.
// Whether the file system takes direct I/O is probed by the first write to
// each segment (its header, or at recovery its last block rewritten as it is);
// if it is refused, the log falls back to the page cache and says why.
#include "sinks/partition_log.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <string>
#include <system_error>
#include <vector>

#include "common/clock.h"
#include "sinks/batch_buffer.h"
#include "sinks/file_layer.h"
#include "sinks/partition_log_internal.h"
#include "sinks/record_codec.h"
#include "sinks/segment_index.h"
#include "sinks/segment_reader.h"
#include "sinks/segment_set.h"

namespace ringest {

using namespace segfmt;
using State = BatchBuffer::State;

// Smaller payloads rarely shrink enough to pay for the codec.
constexpr size_t kMinCompressBytes = 256;

namespace {

class PartitionLogImpl final : public PartitionLog {
 public:
  PartitionLogImpl(const LogOptions& opts, std::unique_ptr<FileIo> io);
  ~PartitionLogImpl() override;

  Status recover(RecoveryReport& report);

  bool append_point(const Origin& origin, const PointView& point) override;
  size_t append_metrics(const Origin& origin, std::span<const MetricView> metrics) override;
  bool append_raw(const Origin& origin, std::string_view bytes) override;
  void end_datagram(uint16_t ledger) override;
  void flush() override;
  void poll(int64_t now_mono_ns) override;
  int64_t next_deadline(int64_t now_mono_ns) const override;
  Status close() override;
  const LogProbe& probe() const override { return probe_; }
  void set_observer(SettleObserver* observer) override { observer_ = observer; }
  std::string write_path() const override;
  std::string last_write_error() const override { return drop_error_.ok() ? "" : drop_error_.message(); }

 private:
  // Appending. room_for is asked before every record: the open batch
  // nearly always has the room, and that is answered without a call.
  bool room_for(size_t n) {
    if (open_ != nullptr && open_->payload() + n <= kMaxPayloadLength && !open_->needs_more(n)) return !closed_;
    return make_room(n);
  }
  bool make_room(size_t n);
  void added(size_t n, int64_t time_ns) {
    open_->add_record(n, time_ns);
    ++next_offset_;
    probe_.next_offset.set(next_offset_);
  }
  BatchBuffer* acquire();
  void split_at_datagram();
  void seal_open();
  uint8_t compress(BatchBuffer& b);

  // Writing.
  void pump();
  void reap(bool wait);
  void handle(IoCompletion& c);
  void settle();
  void rewind();
  void submit_ready();
  void drop(uint32_t idx, bool no_space);
  void remove_from_queue(size_t pos);
  void maybe_sync(int64_t now_mono_ns);
  void wait_for_sync();
  void sync_error();
  void mark_suspect();
  void drain();

  // Segments.
  Status create_segment(uint64_t base_offset);
  Status open_segment(const std::filesystem::path& path, OpenMode mode, FileHandle& f);
  Status write_header(const std::filesystem::path& path, FileHandle& f, std::span<const uint8_t> header);
  Status load_tail(const std::filesystem::path& path);
  Status write_block(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes);
  void use_page_cache(std::string why);
  void register_buffers();
  Status rotate(uint64_t base_offset);
  Status sync_and_close_segment();
  std::filesystem::path segment_path(uint64_t base_offset) const {
    return opts_.dir / segment_file_name(base_offset);
  }

  void tell(const BatchBuffer& b, Settled how) {
    if (observer_ != nullptr)
      for (const auto& [ledger, n] : b.by_ledger) observer_->settled(ledger, n, how);
  }

  LogOptions opts_;
  LogProbe probe_;
  SettleObserver* observer_ = nullptr;
  // Declared before io_ so the file layer goes first: its destructor waits for
  // the kernel to be done with these buffers.
  std::vector<BatchBuffer> batches_;
  std::vector<uint32_t> queue_;  // indices into batches_, in seal order
  BatchBuffer* open_ = nullptr;
  RecordEncoder encoder_;  // the open batch's
  RecordDecoder split_decoder_;  // reads back a datagram that moves to a new batch
  std::unique_ptr<FileIo> io_;
  SegmentSet segments_;  // the sealed segments

  FileHandle file_;              // the active segment
  uint64_t submit_pos_ = 0;      // where the next batch is written
  uint64_t written_pos_ = 0;     // end of the gap-free written prefix
  bool segment_broken_ = false;  // a failed write could not be cut away
  bool rewind_ = false;          // a write failed; see the top of this file
  uint32_t writes_in_flight_ = 0;

  uint64_t next_offset_ = 0;     // offset the next appended record gets
  uint64_t written_offset_ = 0;  // records below this are written
  bool sync_in_flight_ = false;
  uint64_t sync_covers_ = 0;  // written_offset_ when the running sync started
  uint64_t sync_asked_ = 0;   // written_offset_ when the last sync started
  int64_t last_sync_ns_ = 0;
  int64_t open_since_ns_ = 0;  // monotonic: when the open batch got its first complete datagram
  // After a failed fdatasync the kernel may have dropped dirty pages and a later
  // sync can succeed without them, so durable_offset never moves again.
  bool sync_failed_ = false;
  bool suspect_ = false;  // the active segment had a failed fdatasync
  uint64_t active_base_ = 0;
  int64_t active_created_ns_ = 0;  // wall clock, from its header
  SegmentIndex active_index_;      // of the written prefix
  bool rotate_due_ = false;        // older than segment_ms: the next batch starts a new segment
  int64_t next_retention_ns_ = 0;  // monotonic

  // Direct I/O; see the top of this file.
  bool direct_ = false;
  std::string refused_;                // why the page cache is used instead
  std::vector<uint8_t> tail_;          // the file's bytes from the block boundary before submit_pos_ to it
  std::vector<uint8_t> written_tail_;  // the same for written_pos_
  AlignedBytes block_{kDirectAlign};   // one block, for the probes

  std::vector<uint8_t> compressed_;  // scratch for compress()
  PayloadCompressor compressor_;
  Status drop_error_;                // why the last batch was dropped
  bool closed_ = false;
};

constexpr uint64_t align_down(uint64_t v) { return v & ~uint64_t{kDirectAlign - 1}; }
constexpr uint64_t align_up(uint64_t v) { return align_down(v + kDirectAlign - 1); }

PartitionLogImpl::PartitionLogImpl(const LogOptions& opts, std::unique_ptr<FileIo> io)
    : opts_(opts), io_(std::move(io)), segments_(opts_, *io_, probe_), direct_(opts.direct_io) {
  if (!direct_) refused_ = "off in the configuration";
  if (opts_.writes_in_flight == 0) opts_.writes_in_flight = 1;
  opts_.batch_bytes = std::min<uint32_t>(opts_.batch_bytes, kMaxPayloadLength);
  // A full batch plus one more datagram's records (a datagram is at most 64 KiB;
  // records add their origin), so growth is rare.
  size_t cap = std::min<size_t>(kBatchHeaderSize + opts_.batch_bytes + (128u << 10), kMaxBatchLength);
  batches_.resize(opts_.writes_in_flight + 1);
  for (BatchBuffer& b : batches_) b.allocate(cap);
  queue_.reserve(batches_.size());
}

PartitionLogImpl::~PartitionLogImpl() {
  // Without close() what was appended but not written is lost; writes already
  // in flight finish before the buffers go away.
  IoCompletion sink[8];
  while (io_->outstanding() > 0) io_->reap(sink, true);
  io_->close(file_);
  io_.reset();
}

// ---- Recovery ----------------------------------------------------------------

Status PartitionLogImpl::recover(RecoveryReport& report) {
  SegmentSet::Active active;
  if (Status st = segments_.recover(report, active); !st.ok()) return st;
  next_offset_ = written_offset_ = sync_asked_ = active.next_offset;
  if (!active.found) {
    // Nothing usable, or the newest segment was set aside: start a fresh one
    // past every offset a set-aside segment may have held, so none is reused.
    if (Status st = create_segment(active.new_base); !st.ok()) return st;
  } else {
    if (Status st = open_segment(active.file.path, OpenMode::kReadWrite, file_); !st.ok()) return st;
    active_base_ = active.file.base_offset;
    active_created_ns_ = active.created_ns;
    active_index_ = std::move(active.index);
    // What the last run wrote may still be only in the page cache.
    if (Status st = io_->datasync(file_); !st.ok()) return st;
    submit_pos_ = written_pos_ = active.end;
    if (direct_) {
      if (Status st = load_tail(active.file.path); !st.ok()) return st;
      io_->preallocate(file_, 0, opts_.preallocate ? opts_.segment_bytes : 0);
    }
  }
  if (direct_) register_buffers();
  sync_asked_ = next_offset_;
  probe_.next_offset.set(next_offset_);
  if (!sync_failed_) probe_.durable_offset.set(next_offset_);
  probe_.recovery_cut_bytes.add(report.truncated_bytes);
  probe_.recovery_skipped_bytes.add(report.skipped_bytes);
  probe_.recovery_lost_records.add(report.lost_offsets);
  report.next_offset = next_offset_;
  return Status();
}

// ---- Appending ---------------------------------------------------------------

bool PartitionLogImpl::append_point(const Origin& origin, const PointView& point) {
  if (!room_for(encoder_.point_bound(origin, point))) return false;
  size_t n = encoder_.encode_point(open_->payload_data(), open_->payload(), origin, point);
  added(n, point.time_ns);
  return true;
}

size_t PartitionLogImpl::append_metrics(const Origin& origin, std::span<const MetricView> metrics) {
  size_t stored = 0;
  // A run at a time, the dictionary slots of its names on their way into the
  // cache before the first is looked up.
  constexpr size_t kRun = RecordEncoder::kLookAhead;
  std::array<uint32_t, kRun> hashes;
  for (size_t from = 0; from < metrics.size(); from += kRun) {
    const std::span<const MetricView> run = metrics.subspan(from, std::min(kRun, metrics.size() - from));
    encoder_.lookup_ahead(run, hashes.data());
    for (size_t i = 0; i < run.size(); ++i) {
      if (!room_for(encoder_.metric_bound(origin, run[i]))) continue;
      size_t n = encoder_.encode_metric(open_->payload_data(), open_->payload(), origin, run[i], hashes[i]);
      added(n, run[i].time_ns);
      ++stored;
    }
  }
  return stored;
}

bool PartitionLogImpl::append_raw(const Origin& origin, std::string_view bytes) {
  if (!room_for(encoder_.raw_bound(origin, bytes))) return false;
  size_t n = encoder_.encode_raw(open_->payload_data(), open_->payload(), origin, bytes);
  added(n, origin.receive_ns);
  return true;
}

bool PartitionLogImpl::make_room(size_t n) {
  if (closed_ || n > kMaxPayloadLength) return false;
  if (open_ == nullptr) {
    open_ = acquire();
    open_->header.base_offset = next_offset_;
    encoder_.reset();
  }
  if (open_->payload() + n > kMaxPayloadLength) {
    // The batch can't take the record; the datagram in progress moves on to a
    // fresh batch so it still lands whole in one.
    if (open_->dgram_first_record == 0) return false;  // the datagram alone is too big
    split_at_datagram();
    if (open_->payload() + n > kMaxPayloadLength) return false;
  }
  if (open_->reserve_more(n) && direct_) register_buffers();
  return true;
}

void PartitionLogImpl::end_datagram(uint16_t ledger) {
  if (open_ == nullptr || !open_->in_datagram()) return;
  if (open_->datagrams == 0) open_since_ns_ = mono_ns();
  open_->end_datagram(ledger);
  if (open_->payload() >= opts_.batch_bytes) seal_open();
}

void PartitionLogImpl::flush() {
  if (open_ == nullptr || open_->dgram_first_record == 0) return;
  if (open_->in_datagram()) {
    split_at_datagram();
  } else {
    seal_open();
  }
  pump();
}

// A free buffer for the next batch. When all are busy the shard waits here for a
// write to finish: the disk slows the parser, never a receive thread.
BatchBuffer* PartitionLogImpl::acquire() {
  for (;;) {
    for (BatchBuffer& b : batches_) {
      if (b.state == State::kFree) {
        b.reset();
        b.state = State::kOpen;
        if (direct_) {
          // Where the batch will likely start in its block, so that it is
          // written from where it was built (submit_ready moves it if not).
          uint64_t at = submit_pos_;
          for (uint32_t q : queue_)
            if (batches_[q].state == State::kSealed) at += batches_[q].len;
          b.set_lead(at % kDirectAlign);
        }
        return &b;
      }
    }
    if (io_->outstanding() == 0) {
      pump();
      if (io_->outstanding() == 0 && !queue_.empty() && batches_[queue_.front()].state == State::kSealed) {
        // Nothing running and the front batch still can't go: only a bug gets
        // here; dropping it (counted) keeps the shard from spinning.
        drop(queue_.front(), false);
        remove_from_queue(0);
      }
      continue;
    }
    reap(true);
    pump();
  }
}

// Seals the open batch at the last datagram boundary and carries the datagram in
// progress over into a fresh batch.
void PartitionLogImpl::split_at_datagram() {
  BatchBuffer* old = open_;
  open_ = nullptr;
  BatchBuffer* next = acquire();
  // The datagram's records refer back to strings and origins earlier in the
  // old batch: they are decoded there and encoded afresh for the new one.
  encoder_.reset();
  split_decoder_.begin_batch(kFormatVersion);
  std::span<const uint8_t> rest(old->payload_data(), old->payload());
  RecordView r;
  for (uint32_t i = 0; i < old->records; ++i) {
    [[maybe_unused]] bool ok = split_decoder_.decode(rest, r);
    assert(ok);
    if (i < old->dgram_first_record) continue;
    bool raw = r.kind == RecordKind::kRaw;
    if (next->reserve_more(raw ? encoder_.raw_bound(r.origin, r.raw) : encoder_.point_bound(r.origin, r.point)) &&
        direct_)
      register_buffers();
    next->len += raw ? encoder_.encode_raw(next->payload_data(), next->payload(), r.origin, r.raw)
                     : encoder_.encode_point(next->payload_data(), next->payload(), r.origin, r.point);
  }
  next->records = old->records - old->dgram_first_record;
  next->dgram_min = old->dgram_min;
  next->dgram_max = old->dgram_max;
  next->header.base_offset = old->header.base_offset + old->dgram_first_record;
  old->len = old->dgram_start;
  old->records = old->dgram_first_record;
  open_ = old;
  seal_open();
  open_ = next;
}

void PartitionLogImpl::seal_open() {
  BatchBuffer* b = open_;
  open_ = nullptr;
  b->seal(compress(*b));
  queue_.push_back(static_cast<uint32_t>(b - batches_.data()));
  submit_ready();
}

// Compresses the batch's payload in place when that makes it smaller; returns
// the batch flags that say how it is stored.
uint8_t PartitionLogImpl::compress(BatchBuffer& b) {
  if (opts_.compression == Compression::kNone || b.payload() < kMinCompressBytes) return kCompressionNone;
  std::span<const uint8_t> payload(b.payload_data(), b.payload());
  if (!compressor_.compress(opts_.compression, payload, compressed_)) return kCompressionNone;
  std::memcpy(b.payload_data(), compressed_.data(), compressed_.size());
  b.len = kBatchHeaderSize + compressed_.size();
  return static_cast<uint8_t>(opts_.compression);
}

// ---- Writing -----------------------------------------------------------------

void PartitionLogImpl::poll(int64_t now_mono_ns) {
  if (closed_) return;
  if (open_ != nullptr && open_->datagrams > 0 && !open_->in_datagram() &&
      now_mono_ns - open_since_ns_ >= int64_t{opts_.linger_ms} * 1'000'000) {
    seal_open();
  }
  reap(false);
  pump();
  if (opts_.durability == Durability::kInterval) maybe_sync(now_mono_ns);
  if (io_->outstanding() > 0 && probe_.io_waiting_since_ns.get() == 0)
    probe_.io_waiting_since_ns.set(static_cast<uint64_t>(now_mono_ns));
  if (now_mono_ns >= next_retention_ns_) {
    // Age and retention need the wall clock, but only once a second.
    next_retention_ns_ = now_mono_ns + 1'000'000'000;
    int64_t now = wall_ns();
    if (opts_.segment_ms > 0 && written_pos_ > kSegmentHeaderSize &&
        now - active_created_ns_ >= static_cast<int64_t>(opts_.segment_ms) * 1'000'000) {
      rotate_due_ = true;
    }
    segments_.enforce_retention(now, written_pos_, active_base_);
  }
}

int64_t PartitionLogImpl::next_deadline(int64_t now_mono_ns) const {
  constexpr int64_t kReapNs = 1'000'000;  // completions are looked for, not waited on
  int64_t d = INT64_MAX;
  if (closed_) return d;
  if (open_ != nullptr && open_->datagrams > 0) d = open_since_ns_ + int64_t{opts_.linger_ms} * 1'000'000;
  if (io_->outstanding() > 0 || !queue_.empty() || rewind_) d = std::min(d, now_mono_ns + kReapNs);
  // As maybe_sync() decides: a sync that is running, or a rewind, puts the
  // next one off (a deadline in the past would have the shard spin on it).
  if (opts_.durability == Durability::kInterval && file_.valid() && !sync_in_flight_ && !rewind_ &&
      written_offset_ > sync_asked_)
    d = std::min(d, last_sync_ns_ + int64_t{opts_.sync_interval_ms} * 1'000'000);
  if (opts_.segment_ms > 0 || opts_.retention_ms > 0 || opts_.retention_bytes > 0)
    d = std::min(d, next_retention_ns_);
  return d;
}

// Non-blocking progress: account finished writes, repair after a failure, start
// what can start.
void PartitionLogImpl::pump() {
  settle();
  submit_ready();
  if (opts_.durability == Durability::kBatch) maybe_sync(0);
}

void PartitionLogImpl::reap(bool wait) {
  IoCompletion done[16];
  size_t n = io_->reap(done, wait);
  for (size_t i = 0; i < n; ++i) handle(done[i]);
  // The I/O clock: since when the file layer has owed a completion.
  if (io_->outstanding() == 0) {
    probe_.io_waiting_since_ns.set(0);
  } else if (n > 0 || probe_.io_waiting_since_ns.get() == 0) {
    probe_.io_waiting_since_ns.set(static_cast<uint64_t>(mono_ns()));
  }
}

void PartitionLogImpl::handle(IoCompletion& c) {
  if (c.op == IoOp::kDatasync) {
    sync_in_flight_ = false;
    if (c.status.ok()) {
      probe_.syncs.add();
      if (!sync_failed_ && sync_covers_ > probe_.durable_offset.get()) {
        probe_.durable_offset.set(sync_covers_);
      }
    } else {
      sync_error();
    }
    return;
  }
  BatchBuffer& b = batches_[c.tag];
  --writes_in_flight_;
  if (c.status.ok()) {
    b.state = State::kWritten;
  } else {
    b.state = State::kFailed;
    b.no_space = c.no_space;
    drop_error_ = std::move(c.status);
    rewind_ = true;
  }
}

// Accounts batches at the front of the queue whose writes completed: they sit
// right after written_pos_, because everything before them was accounted first.
void PartitionLogImpl::settle() {
  while (!queue_.empty() && batches_[queue_.front()].state == State::kWritten) {
    BatchBuffer& b = batches_[queue_.front()];
    probe_.records_written.add(b.records);
    probe_.batches_written.add();
    probe_.bytes_written.add(b.len);
    probe_.datagrams_stored.add(b.datagrams);
    tell(b, Settled::kStored);
    written_pos_ = b.file_pos + b.len;
    if (direct_) {
      const size_t end = b.lead + b.len;
      written_tail_.assign(b.mem.data() + align_down(end), b.mem.data() + end);
    }
    written_offset_ = b.header.end_offset();
    if (probe_.write_failing.get() != kWriting) probe_.write_failing.set(kWriting);
    active_index_.add_batch(b.file_pos, b.header);
    probe_.log_bytes.set(segments_.sealed_bytes() + written_pos_);
    b.state = State::kFree;
    remove_from_queue(0);
  }
  if (rewind_ && writes_in_flight_ == 0 && !sync_in_flight_) rewind();
}

void PartitionLogImpl::rewind() {
  rewind_ = false;
  if (submit_pos_ > written_pos_ && !io_->truncate(file_, written_pos_).ok()) {
    // The hole can't be cut away; what follows goes to a new segment instead.
    segment_broken_ = true;
  }
  submit_pos_ = written_pos_;
  tail_ = written_tail_;
  for (size_t i = 0; i < queue_.size();) {
    BatchBuffer& b = batches_[queue_[i]];
    if (b.state == State::kFailed) {
      drop(queue_[i], b.no_space);
      remove_from_queue(i);
      continue;
    }
    // Completed, but behind the hole: written again after the cut.
    if (b.state == State::kWritten) b.state = State::kSealed;
    ++i;
  }
}

void PartitionLogImpl::submit_ready() {
  for (size_t i = 0; i < queue_.size() && !rewind_;) {
    uint32_t idx = queue_[i];
    BatchBuffer& b = batches_[idx];
    if (b.state != State::kSealed) {
      ++i;
      continue;
    }
    if (writes_in_flight_ >= opts_.writes_in_flight) return;
    bool full = submit_pos_ > kSegmentHeaderSize && submit_pos_ + b.len > opts_.segment_bytes;
    if (!file_.valid() || segment_broken_ || full || rotate_due_) {
      // Rotate only once everything before this batch is written and accounted.
      if (i != 0) return;
      if (Status st = rotate(b.header.base_offset); !st.ok()) {
        drop(idx, is_no_space(st));
        drop_error_ = st;
        remove_from_queue(i);
        continue;
      }
    }
    b.file_pos = submit_pos_;
    uint64_t at = submit_pos_;
    const uint8_t* from = b.data;
    size_t n = b.len;
    if (direct_) {
      // Whole blocks: the start of the first one from tail_, zeros after the batch.
      const size_t lead = submit_pos_ % kDirectAlign;
      if (lead != 0 && writes_in_flight_ > 0) return;  // it rewrites the block the last write ends in
      b.set_lead(lead);
      std::memcpy(b.mem.data(), tail_.data(), lead);
      const size_t end = lead + b.len;
      std::memset(b.mem.data() + end, 0, align_up(end) - end);
      tail_.assign(b.mem.data() + align_down(end), b.mem.data() + end);
      at = submit_pos_ - lead;
      from = b.mem.data();
      n = align_up(end);
    }
    if (Status st = io_->submit_write(file_, at, from, n, idx); !st.ok()) {
      // Not started at all; handled like a failed write.
      b.state = State::kFailed;
      drop_error_ = st;
      rewind_ = true;
      return;
    }
    b.state = State::kInFlight;
    submit_pos_ += b.len;
    ++writes_in_flight_;
    ++i;
  }
}

void PartitionLogImpl::drop(uint32_t idx, bool no_space) {
  BatchBuffer& b = batches_[idx];
  (no_space ? probe_.dropped_disk_full : probe_.dropped_sink_error).add(b.datagrams);
  tell(b, no_space ? Settled::kDiskFull : Settled::kWriteError);
  probe_.write_failing.set(no_space ? kDiskFull : kWriteError);
  b.state = State::kFree;
}

void PartitionLogImpl::remove_from_queue(size_t pos) {
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(pos));
}

void PartitionLogImpl::maybe_sync(int64_t now_mono_ns) {
  if (sync_in_flight_ || rewind_ || !file_.valid() || written_offset_ <= sync_asked_) return;
  if (opts_.durability == Durability::kNone) return;
  if (opts_.durability == Durability::kInterval &&
      now_mono_ns - last_sync_ns_ < int64_t{opts_.sync_interval_ms} * 1'000'000) {
    return;
  }
  // Covers only the writes that had completed (written_offset_): those still in
  // flight are claimed by a later sync, and run on meanwhile.
  if (!io_->submit_datasync(file_, UINT64_MAX).ok()) {
    sync_error();
    last_sync_ns_ = now_mono_ns;  // tried: the next try waits an interval, not a loop turn
    return;
  }
  sync_in_flight_ = true;
  sync_covers_ = sync_asked_ = written_offset_;
  last_sync_ns_ = now_mono_ns;
}

void PartitionLogImpl::wait_for_sync() {
  while (sync_in_flight_) reap(true);
}

// Writes everything sealed and waits for it and for a running sync.
void PartitionLogImpl::drain() {
  for (;;) {
    pump();
    if (queue_.empty()) break;
    if (io_->outstanding() == 0) {
      // Front batch is sealed but can't go: only a bug gets here (see acquire).
      drop(queue_.front(), false);
      remove_from_queue(0);
      continue;
    }
    reap(true);
  }
  wait_for_sync();
}

Status PartitionLogImpl::close() {
  if (closed_) return Status();
  drop_error_ = Status();
  uint64_t dropped_before = probe_.dropped_disk_full.get() + probe_.dropped_sink_error.get();
  if (open_ != nullptr && open_->in_datagram()) open_->end_datagram(0);  // keep even a partial one
  if (open_ != nullptr && open_->records > 0) {
    seal_open();
  } else if (open_ != nullptr) {
    open_->state = State::kFree;
    open_ = nullptr;
  }
  drain();
  Status st = sync_and_close_segment();
  closed_ = true;
  uint64_t dropped = probe_.dropped_disk_full.get() + probe_.dropped_sink_error.get();
  if (st.ok() && dropped != dropped_before) st = drop_error_;
  return st;
}

// ---- Segments ----------------------------------------------------------------

Status PartitionLogImpl::create_segment(uint64_t base_offset) {
  std::filesystem::path path = segment_path(base_offset);
  FileHandle f;
  if (Status st = open_segment(path, OpenMode::kCreateNew, f); !st.ok()) return st;
  SegmentHeader h;
  h.partition = opts_.partition;
  h.base_offset = base_offset;
  h.created_ns = wall_ns();
  uint8_t bytes[kSegmentHeaderSize];
  encode_segment_header(h, bytes);
  if (Status st = write_header(path, f, bytes); !st.ok()) {
    // Don't leave a headerless file behind to be found by the next open.
    if (f.valid()) io_->close(f);
    io_->remove(path);
    return st;
  }
  // Best effort: a file system without room for it just allocates as it goes.
  io_->preallocate(f, 0, opts_.preallocate ? opts_.segment_bytes : 0);
  // The new name must survive a crash along with the data written into it.
  if (!io_->sync_dir(opts_.dir).ok()) {
    probe_.sync_errors.add();
    sync_failed_ = true;
  }
  file_ = f;
  active_base_ = base_offset;
  active_created_ns_ = h.created_ns;
  active_index_ = SegmentIndex{opts_.partition, base_offset, kSegmentHeaderSize, base_offset, {}};
  rotate_due_ = false;
  segment_broken_ = false;
  suspect_ = false;
  submit_pos_ = written_pos_ = kSegmentHeaderSize;
  tail_.assign(bytes, bytes + kSegmentHeaderSize);
  written_tail_ = tail_;
  next_offset_ = std::max(next_offset_, base_offset);
  written_offset_ = std::max(written_offset_, base_offset);
  probe_.next_offset.set(next_offset_);
  probe_.segments_created.add();
  return Status();
}

Status PartitionLogImpl::sync_and_close_segment() {
  wait_for_sync();
  if (!file_.valid()) return Status();
  if (suspect_) {
    // Syncing again could succeed without the pages the kernel dropped: the
    // segment is left as it is, marked, and never trusted as durable.
    mark_suspect();
    io_->close(file_);
    return Status::invalid("segment sealed as suspect after a failed fdatasync");
  }
  // Without the padding of the last direct write: a closed segment ends at its
  // data. Were the cut lost, readers still take the zeros as padding.
  if (direct_ && written_pos_ % kDirectAlign != 0) io_->truncate(file_, written_pos_);
  Status st = io_->datasync(file_);
  if (st.ok()) {
    probe_.syncs.add();
    if (!sync_failed_) probe_.durable_offset.set(written_offset_);
  } else {
    sync_error();
  }
  Status closed = io_->close(file_);
  return st.ok() ? closed : st;
}

// After a failed fdatasync: see "durable" in the header.
void PartitionLogImpl::sync_error() {
  probe_.sync_errors.add();
  sync_failed_ = true;
  if (!file_.valid() || suspect_) return;
  suspect_ = true;
  segment_broken_ = true;  // the next batch goes to a new segment
  probe_.segments_suspect.add();
}

// An empty <base>.suspect next to the segment says so to readers and tools.
void PartitionLogImpl::mark_suspect() {
  std::filesystem::path marker = segment_path(active_base_);
  marker.replace_extension(".suspect");
  FileHandle f;
  if (io_->open(marker, OpenMode::kCreateOrTruncate, f).ok()) io_->close(f);
  io_->sync_dir(opts_.dir);
}

// Opens a segment for direct I/O while the file system takes it.
Status PartitionLogImpl::open_segment(const std::filesystem::path& path, OpenMode mode, FileHandle& f) {
  if (direct_) {
    std::error_code ec;
    const bool existed = std::filesystem::exists(path, ec);
    Status st = io_->open_direct(path, mode, f);
    if (st.ok() || (mode == OpenMode::kCreateNew && existed)) return st;
    // Linux creates the file before it refuses O_DIRECT.
    if (mode == OpenMode::kCreateNew && std::filesystem::exists(path, ec)) io_->remove(path);
    use_page_cache("open with O_DIRECT: " + st.message());
  }
  return io_->open(path, mode, f);
}

// The first write to a new segment, which also tries direct I/O.
Status PartitionLogImpl::write_header(const std::filesystem::path& path, FileHandle& f,
                                      std::span<const uint8_t> header) {
  if (direct_) {
    Status st = write_block(f, 0, header);
    if (st.ok() || is_no_space(st)) return st;
    io_->close(f);
    use_page_cache("a write with O_DIRECT: " + st.message());
    if (Status o = io_->open(path, OpenMode::kReadWrite, f); !o.ok()) return o;
  }
  return io_->write_at(f, 0, header);
}

// At recovery, with direct I/O: reads the bytes of the active segment's last
// partial block (the next write starts with them) and writes its last block
// again, unchanged, to see that direct writes work.
Status PartitionLogImpl::load_tail(const std::filesystem::path& path) {
  const uint64_t from = align_down(submit_pos_ - 1);
  std::vector<uint8_t> bytes;
  Status st = io_->read_at(path, from, submit_pos_ - from, bytes);
  if (st.ok() && bytes.size() != submit_pos_ - from) st = Status::invalid("short read of " + path.string());
  if (!st.ok()) return st;
  if (Status w = write_block(file_, from, bytes); !w.ok()) {
    if (is_no_space(w)) return w;
    io_->close(file_);
    use_page_cache("a write with O_DIRECT: " + w.message());
    return io_->open(path, OpenMode::kReadWrite, file_);
  }
  tail_.assign(bytes.end() - static_cast<std::ptrdiff_t>(submit_pos_ - align_down(submit_pos_)), bytes.end());
  written_tail_ = tail_;
  return Status();
}

// `bytes` then zeros, as one block at `pos`.
Status PartitionLogImpl::write_block(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes) {
  std::memcpy(block_.data(), bytes.data(), bytes.size());
  std::memset(block_.data() + bytes.size(), 0, kDirectAlign - bytes.size());
  return io_->write_at(f, pos, block_.span());
}

void PartitionLogImpl::use_page_cache(std::string why) {
  direct_ = false;
  refused_ = "direct I/O refused: " + std::move(why);
}

// Pins the batch buffers for the backend (io_uring's registered buffers), again
// whenever one grew.
void PartitionLogImpl::register_buffers() {
  std::vector<std::span<uint8_t>> spans;
  for (BatchBuffer& b : batches_) spans.push_back(b.mem.span());
  io_->register_buffers(spans);
}

std::string PartitionLogImpl::write_path() const {
  return (direct_ ? std::string("direct I/O") : "page cache (" + refused_ + ")") + ", " + io_->backend();
}

Status PartitionLogImpl::rotate(uint64_t base_offset) {
  // A sealed segment is synced before it is left, whatever the policy, so
  // durable_offset can pass it. Its close error changes nothing already written.
  if (file_.valid()) {
    sync_and_close_segment();
    segments_.seal(active_index_, suspect_);
  }
  return create_segment(base_offset);
}

}  // namespace

std::unique_ptr<PartitionLog> open_partition_log(const LogOptions& opts, RecoveryReport& report, Status& err,
                                                 std::unique_ptr<FileIo> io) {
  report = RecoveryReport{};
  auto log = std::make_unique<PartitionLogImpl>(opts, std::move(io));
  err = log->recover(report);
  if (!err.ok()) return nullptr;
  return log;
}

std::unique_ptr<PartitionLog> PartitionLog::open(const LogOptions& opts, RecoveryReport& report,
                                                 Status& err) {
  // Room for every batch write plus one sync.
  return open_partition_log(opts, report, err, FileIo::create(std::max(opts.writes_in_flight, 1u) + 2));
}

}  // namespace ringest
