#include "sinks/segment_reader.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>

#include "sinks/compression.h"
#include "sinks/crc32c.h"
#include "sinks/file_layer.h"
#include "sinks/segment_format.h"

namespace ringest {

using namespace segfmt;

SegmentReader::SegmentReader(std::span<const uint8_t> bytes, Reporter* reporter)
    : bytes_(bytes), reporter_(reporter) {}

bool SegmentReader::damage(uint64_t at, std::string_view reason) {
  damaged_ = true;
  if (reporter_ != nullptr) reporter_->corruption(at, reason);
  return false;
}

bool SegmentReader::read_header(SegmentHeader& out) {
  const char* why = nullptr;
  if (!decode_segment_header(bytes_, out, &why)) return damage(0, why);
  header_read_ = true;
  pos_ = kSegmentHeaderSize;
  next_offset_ = out.base_offset;
  return true;
}

bool SegmentReader::next_batch(BatchView& out) {
  if (damaged_ || !header_read_) return false;
  const uint64_t left = bytes_.size() - pos_;
  if (left == 0) return false;  // clean end
  if (left < kBatchHeaderSize) return damage(pos_, "truncated batch header");
  const uint8_t* p = bytes_.data() + pos_;
  BatchHeader h;
  const char* why = nullptr;
  if (!decode_batch_header(p, h, &why)) return damage(pos_, why);
  if (h.length > left) return damage(pos_, "batch runs past the end of the file");
  if (crc32c::value(p + kBatchCrcFrom, h.length - kBatchCrcFrom) != h.crc) {
    return damage(pos_, "batch checksum mismatch");
  }
  if (h.base_offset < next_offset_) return damage(pos_, "batch offsets go backwards");
  std::span<const uint8_t> payload(p + kBatchHeaderSize, h.payload_length);
  if (uint8_t codec = h.flags & kCompressionMask; codec != kCompressionNone) {
    if (!decompress_payload(static_cast<Compression>(codec), payload, kMaxPayloadLength, inflated_, &why)) {
      return damage(pos_, why);
    }
    payload = inflated_;
  }
  if (!verify_records(h, payload, &why)) return damage(pos_, why);
  out.file_pos = pos_;
  out.header = h;
  out.payload = payload;
  pos_ += h.length;
  next_offset_ = h.end_offset();
  return true;
}

bool SegmentReader::verify_records(const BatchHeader& h, std::span<const uint8_t> payload, const char** why) {
  RecordView rec;
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

Status read_partition(const PartitionDir& p, LogVisitor& visitor) {
  std::vector<uint8_t> bytes;
  uint64_t expected = 0;  // offsets only go up, across segments too
  for (const SegmentFile& seg : p.segments) {
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
    BatchView batch;
    while (reader.next_batch(batch)) {
      visitor.on_batch(seg, batch);
      BatchRecords records(batch);
      RecordView rec;
      uint64_t offset = 0;
      while (records.next(rec, offset)) visitor.on_record(p.partition, offset, rec);
    }
    expected = reader.next_offset();
  }
  return Status();
}

}  // namespace ringest
