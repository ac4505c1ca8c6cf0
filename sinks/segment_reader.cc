#include "sinks/segment_reader.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>

#include "sinks/compression.h"
#include "sinks/crc32c.h"
#include "sinks/file_layer.h"
#include "sinks/segment_format.h"
#include "sinks/segment_index.h"

namespace ringest {

using namespace segfmt;

SegmentReader::SegmentReader(std::span<const uint8_t> bytes, Reporter* reporter, OnDamage on_damage, Checks checks)
    : bytes_(bytes), reporter_(reporter), on_damage_(on_damage), checks_(checks) {}

void SegmentReader::report(uint64_t at, std::string_view reason) {
  damaged_ = true;
  if (reporter_ != nullptr) reporter_->corruption(at, reason);
}

bool SegmentReader::read_header(SegmentHeader& out) {
  const char* why = nullptr;
  if (!decode_segment_header(bytes_, out, &why)) {
    report(0, why);
    torn_ = true;
    return false;
  }
  header_read_ = true;
  pos_ = kSegmentHeaderSize;
  next_offset_ = claimed_end_ = out.base_offset;
  return true;
}

void SegmentReader::resume(uint64_t file_pos, uint64_t next_offset) {
  header_read_ = true;
  base_ = file_pos;
  pos_ = 0;
  next_offset_ = claimed_end_ = next_offset;
}

bool SegmentReader::batch_at(uint64_t at, BatchView& out, const char** why) {
  const uint64_t left = bytes_.size() - at;
  if (left < kBatchHeaderSize) return (*why = "truncated batch header"), false;
  const uint8_t* p = bytes_.data() + at;
  BatchHeader h;
  if (!decode_batch_header(p, h, why)) return false;
  if (h.length > left) return (*why = "batch runs past the end of the file"), false;
  if (crc32c::value(p + kBatchCrcFrom, h.length - kBatchCrcFrom) != h.crc) {
    return (*why = "batch checksum mismatch"), false;
  }
  if (h.base_offset < next_offset_) return (*why = "batch offsets go backwards"), false;
  std::span<const uint8_t> payload(p + kBatchHeaderSize, h.payload_length);
  if (uint8_t codec = h.flags & kCompressionMask; codec != kCompressionNone) {
    if (!decompress_payload(static_cast<Compression>(codec), payload, kMaxPayloadLength, inflated_, why)) {
      return false;
    }
    payload = inflated_;
  }
  if (checks_ == Checks::kRecords && !verify_records(h, payload, why)) return false;
  out.file_pos = base_ + at;
  out.header = h;
  out.payload = payload;
  return true;
}

uint64_t SegmentReader::next_valid(uint64_t from, BatchView& out) {
  const char* why = nullptr;
  for (uint64_t at = from; at + kBatchHeaderSize <= bytes_.size(); ++at) {
    // The cheap fields first: nearly every position fails on them.
    const uint8_t* p = bytes_.data() + at;
    if (!known_version(p[kBatchVersionAt]) ||
        p[kBatchHeaderSizeAt] != kBatchHeaderSize)
      continue;
    if (batch_at(at, out, &why)) return at;
  }
  return UINT64_MAX;
}

void SegmentReader::claim(uint64_t at) {
  // Only a header that starts where the last good batch ended is believed:
  // its offsets were handed out, its records may have been read by someone.
  if (bytes_.size() - at < kBatchHeaderSize) return;
  BatchHeader h;
  const char* why = nullptr;
  if (decode_batch_header(bytes_.data() + at, h, &why) && h.base_offset == next_offset_ &&
      h.record_count <= h.payload_length) {
    claimed_end_ = std::max(claimed_end_, h.end_offset());
  }
}

bool SegmentReader::is_padding(uint64_t at) const {
  const uint64_t left = bytes_.size() - at;
  return left < kDirectAlign && (base_ + bytes_.size()) % kDirectAlign == 0 &&
         std::all_of(bytes_.begin() + static_cast<std::ptrdiff_t>(at), bytes_.end(), [](uint8_t b) { return b == 0; });
}

bool SegmentReader::next_batch(BatchView& out) {
  if (torn_ || padded_ || !header_read_) return false;
  if (pos_ == bytes_.size()) return false;  // clean end
  const char* why = nullptr;
  if (!batch_at(pos_, out, &why)) {
    if (is_padding(pos_)) {
      padded_ = true;  // a clean end too
      return false;
    }
    report(base_ + pos_, why);
    uint64_t at = on_damage_ == OnDamage::kResync ? next_valid(pos_ + 1, out) : UINT64_MAX;
    if (at == UINT64_MAX) {
      claim(pos_);
      torn_ = true;
      return false;
    }
    ++skipped_spans_;
    skipped_bytes_ += at - pos_;
    lost_offsets_ += out.header.base_offset - next_offset_;
    pos_ = at;
  }
  pos_ += out.header.length;
  next_offset_ = out.header.end_offset();
  claimed_end_ = std::max(claimed_end_, next_offset_);
  return true;
}

bool SegmentReader::verify_records(const BatchHeader& h, std::span<const uint8_t> payload, const char** why) {
  RecordView rec;
  decoder_.begin_batch(h.version);
  for (uint32_t i = 0; i < h.record_count; ++i) {
    if (!decoder_.decode(payload, rec)) {
      *why = "malformed record in batch";
      return false;
    }
    if (rec.point.time_ns < h.min_time_ns || rec.point.time_ns > h.max_time_ns) {
      *why = "record time outside the batch's time range";
      return false;
    }
  }
  if (!payload.empty()) {
    *why = "bytes after the batch's last record";
    return false;
  }
  return true;
}

bool BatchRecords::next(RecordView& out, uint64_t& offset) {
  if (rest_.empty() || !decoder_.decode(rest_, out)) return false;
  offset = offset_++;
  return true;
}

Status list_segments(const std::filesystem::path& partition_dir, std::vector<SegmentFile>& out) {
  out.clear();
  std::error_code ec;
  std::filesystem::directory_iterator it(partition_dir, ec);
  if (ec) return Status::from_errno(ec.value(), "list " + partition_dir.string());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::from_errno(ec.value(), "list " + partition_dir.string());
    auto base = parse_segment_file_name(it->path().filename().string());
    if (!base || !it->is_regular_file(ec)) continue;
    out.push_back(SegmentFile{*base, it->path()});
  }
  std::sort(out.begin(), out.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.base_offset < b.base_offset; });
  return Status();
}

namespace {

bool parse_partition(const std::string& name, uint32_t& out) {
  if (name.empty() || name.size() > 10) return false;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), out);
  return ec == std::errc() && end == name.data() + name.size();
}

// The partition a segment header names, for a partition directory given
// directly whose name is not a number.
uint32_t partition_from_header(const SegmentFile& s) {
  std::vector<uint8_t> bytes;
  SegmentHeader h;
  const char* why = nullptr;
  if (read_file(s.path, bytes).ok() && decode_segment_header(bytes, h, &why)) return h.partition;
  return 0;
}

}  // namespace

Status list_partitions(const std::filesystem::path& dir, std::vector<PartitionDir>& out) {
  out.clear();
  std::vector<SegmentFile> direct;
  if (Status st = list_segments(dir, direct); !st.ok()) return st;
  if (!direct.empty()) {
    PartitionDir p;
    p.path = dir;
    if (!parse_partition(dir.filename().string(), p.partition)) {
      p.partition = partition_from_header(direct.front());
    }
    p.segments = std::move(direct);
    out.push_back(std::move(p));
    return Status();
  }
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Status::from_errno(ec.value(), "list " + dir.string());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::from_errno(ec.value(), "list " + dir.string());
    PartitionDir p;
    if (!parse_partition(it->path().filename().string(), p.partition) || !it->is_directory(ec)) {
      continue;
    }
    p.path = it->path();
    if (Status st = list_segments(p.path, p.segments); !st.ok()) return st;
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(),
            [](const PartitionDir& a, const PartitionDir& b) { return a.partition < b.partition; });
  return Status();
}

namespace {

class ForwardingReporter : public Reporter {
 public:
  ForwardingReporter(LogVisitor& v, const std::filesystem::path& file) : v_(v), file_(file) {}
  void corruption(uint64_t file_pos, std::string_view reason) override {
    v_.on_damage(file_, file_pos, reason);
  }

 private:
  LogVisitor& v_;
  const std::filesystem::path& file_;
};

}  // namespace

namespace {

// Where to start reading a segment for `range`, from its index if it has a
// usable one: false if the whole segment is outside the range.
bool start_for(const SegmentFile& seg, uint64_t size, const ReadRange& r, uint64_t& pos, uint64_t& offset) {
  pos = 0;
  std::filesystem::path idx_path = seg.path;
  idx_path.replace_extension(idxfmt::kSuffix);
  std::vector<uint8_t> bytes;
  SegmentIndex idx;
  const char* why = nullptr;
  if (!read_file(idx_path, bytes).ok() || !decode_index(bytes, idx, &why) ||
      idx.base_offset != seg.base_offset || idx.end_pos != size || idx.entries.empty()) {
    return true;  // no shortcut: read it all
  }
  if (idx.next_offset <= r.from_offset || idx.max_time() < r.since_ns || idx.min_time() > r.until_ns)
    return false;
  size_t k = 0;
  for (size_t i = 0; i < idx.entries.size(); ++i) {
    if (idx.entries[i].offset <= r.from_offset) k = i;
  }
  while (k < idx.entries.size() && idx.entries[k].max_time < r.since_ns) ++k;
  if (k == idx.entries.size()) return false;              // no span from the offset on reaches `since`
  if (k == 0 || idx.entries[k].pos >= size) return true;  // from the start, header included
  pos = idx.entries[k].pos;
  offset = idx.entries[k].offset;
  return true;
}

}  // namespace

Status read_partition(const PartitionDir& p, LogVisitor& visitor, const ReadRange& range) {
  std::vector<uint8_t> bytes;
  uint64_t expected = 0;  // offsets only go up, across segments too
  for (size_t i = 0; i < p.segments.size(); ++i) {
    const SegmentFile& seg = p.segments[i];
    // Every offset in a segment is below the next segment's base.
    if (i + 1 < p.segments.size() && p.segments[i + 1].base_offset <= range.from_offset) continue;
    if (Status st = read_file(seg.path, bytes); !st.ok()) return st;
    ForwardingReporter reporter(visitor, seg.path);
    SegmentReader reader(bytes, &reporter);
    SegmentHeader header;
    if (!reader.read_header(header)) continue;
    if (header.base_offset != seg.base_offset) {
      reporter.corruption(0, "segment header base offset disagrees with the file name");
      continue;
    }
    if (header.base_offset < expected) {
      reporter.corruption(0, "segment base offset below the previous segment's last offset");
      continue;
    }
    visitor.on_segment(seg, header);
    uint64_t pos = 0, offset = 0;
    if (!start_for(seg, bytes.size(), range, pos, offset)) {
      expected = seg.base_offset;
      continue;
    }
    std::span<const uint8_t> from(bytes);
    SegmentReader tail(from.subspan(pos), &reporter);
    SegmentReader& r = pos == 0 ? reader : tail;
    if (pos != 0) tail.resume(pos, offset);
    BatchView batch;
    while (r.next_batch(batch)) {
      if (batch.header.end_offset() <= range.from_offset || batch.header.max_time_ns < range.since_ns ||
          batch.header.min_time_ns > range.until_ns) {
        continue;
      }
      visitor.on_batch(seg, batch);
      BatchRecords records(batch);
      RecordView rec;
      uint64_t off = 0;
      while (records.next(rec, off)) {
        if (off < range.from_offset || rec.point.time_ns < range.since_ns ||
            rec.point.time_ns > range.until_ns) {
          continue;
        }
        visitor.on_record(p.partition, off, rec);
      }
    }
    expected = r.next_offset();
  }
  return Status();
}

}  // namespace ringest
