#include "sinks/log_tail.h"

#include <algorithm>
#include <fstream>
#include <system_error>

#include "sinks/segment_format.h"

namespace ringest {
namespace {

// Bytes [pos, pos + n) of `path` into `out`; false if it can't be read.
bool read_range(const std::filesystem::path& path, uint64_t pos, uint64_t n, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(static_cast<std::streamoff>(pos));
  out.resize(n);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
  out.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return true;
}

}  // namespace

LogTail::LogTail(std::filesystem::path partition_dir, uint64_t from_offset, uint64_t chunk_bytes,
                 SegmentReader::Checks checks)
    : dir_(std::move(partition_dir)), from_(from_offset), chunk_(std::max<uint64_t>(chunk_bytes, 64)), checks_(checks) {}

size_t LogTail::step(const Visit& visit, uint64_t limit_offset, const Damage& damage) {
  std::vector<SegmentFile> segs;
  if (!list_segments(dir_, segs).ok() || segs.empty()) return 0;
  size_t handed = 0;
  for (;;) {
    size_t i = 0;
    if (base_ == UINT64_MAX) {
      // The start: the segment that holds from_, or the oldest one there is.
      while (i + 1 < segs.size() && segs[i + 1].base_offset <= from_) ++i;
      base_ = segs[i].base_offset;
      pos_ = 0;
    } else {
      while (i < segs.size() && segs[i].base_offset < base_) ++i;
      if (i == segs.size()) return handed;
      if (segs[i].base_offset != base_) {  // the segment went (retention)
        base_ = segs[i].base_offset;
        pos_ = 0;
      }
    }
    const bool newest = i + 1 == segs.size();
    if (!read_segment(segs[i], newest, visit, limit_offset, damage, handed) || newest) return handed;
    base_ = segs[i + 1].base_offset;
    pos_ = 0;
  }
}

uint64_t LogTail::bytes_behind() const {
  std::vector<SegmentFile> segs;
  if (!list_segments(dir_, segs).ok()) return 0;
  uint64_t bytes = 0;
  for (const SegmentFile& s : segs) {
    if (base_ != UINT64_MAX && s.base_offset < base_) continue;
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(s.path, ec);
    if (ec) continue;
    const uint64_t read = s.base_offset == base_ ? std::min(pos_, size) : 0;
    bytes += size - read;
  }
  return bytes;
}

bool LogTail::read_segment(const SegmentFile& s, bool newest, const Visit& visit, uint64_t limit,
                           const Damage& damage, size_t& handed) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(s.path, ec);
  if (ec) return true;  // gone: go on with the next one
  // Hands out one verified batch; false when it must wait (limit, visitor).
  auto hand = [&](const BatchView& b, uint64_t buf_pos) {
    if (b.header.end_offset() <= from_) return true;
    if (b.header.end_offset() > limit ||
        !visit(b, std::span<const uint8_t>(buf_).subspan(b.file_pos - buf_pos, b.header.length))) {
      pos_ = b.file_pos;
      next_offset_ = b.header.base_offset;
      return false;
    }
    ++handed;
    from_ = b.header.end_offset();
    return true;
  };
  uint64_t want = chunk_;
  for (;;) {
    const uint64_t start = pos_;
    if (start >= size) return true;
    if (!read_range(s.path, start, std::min(size - start, want), buf_)) return true;
    const bool to_end = start + buf_.size() >= size;
    SegmentReader reader(buf_, nullptr, SegmentReader::OnDamage::kStop, checks_);
    if (start == 0) {
      SegmentHeader h;
      if (!reader.read_header(h)) {
        if (newest) return false;  // maybe still being created
        if (damage) damage(s.path, 0);
        return true;
      }
      next_offset_ = h.base_offset;
    } else {
      reader.resume(start, next_offset_);
    }
    BatchView b;
    while (reader.next_batch(b))
      if (!hand(b, start)) return false;
    pos_ = reader.valid_end();
    next_offset_ = reader.next_offset();
    if (reader.padded() || pos_ >= size) return true;
    if (pos_ > start) {  // read on from the first batch the chunk did not hold whole
      want = chunk_;
      continue;
    }
    if (!to_end) {  // a batch longer than the chunk
      want *= 2;
      continue;
    }
    if (newest) return false;  // a gap that may still fill
    break;  // a sealed segment stopped where nothing verifies: damage
  }
  // Read the rest whole, past damaged spans to the batches after them.
  const uint64_t start = pos_;
  if (!read_range(s.path, start, size - start, buf_)) return true;
  SegmentReader reader(buf_, nullptr, SegmentReader::OnDamage::kResync, checks_);
  reader.resume(start, next_offset_);
  bool reported = false;
  BatchView b;
  while (reader.next_batch(b)) {
    if (!reported && reader.damaged() && damage) damage(s.path, start);
    reported = reported || reader.damaged();
    if (!hand(b, start)) return false;
  }
  if (!reported && reader.damaged() && damage) damage(s.path, start);  // a torn tail, nothing after it
  return true;
}

}  // namespace ringest
