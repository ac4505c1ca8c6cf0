#include "sinks/segment_set.h"

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "common/clock.h"
#include "sinks/segment_format.h"

namespace ringest {

namespace {

// Collects the first and the last damage found in a segment.
class DamageSeen : public Reporter {
 public:
  void corruption(uint64_t file_pos, std::string_view reason) override {
    last_pos = file_pos;
    last_what = reason;
    if (found) return;
    found = true;
    pos = file_pos;
    what = reason;
  }
  bool found = false;
  uint64_t pos = 0;
  std::string what;
  uint64_t last_pos = 0;
  std::string last_what;
};

// Sealing makes a segment read-only; a crash between its sync and that leaves
// it writable.
bool read_only(const std::filesystem::path& p) {
  std::error_code ec;
  auto perms = std::filesystem::status(p, ec).permissions();
  return !ec && (perms & std::filesystem::perms::owner_write) == std::filesystem::perms::none;
}

int64_t mtime_ns(const std::filesystem::path& p) {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(p, ec);
  if (ec) return wall_ns();
  auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(sys.time_since_epoch()).count();
}

}  // namespace

std::filesystem::path SegmentSet::path(uint64_t base, const char* suffix) const {
  std::filesystem::path p = opts_.dir / segment_file_name(base);
  p.replace_extension(suffix);
  return p;
}

void SegmentSet::note(RecoveryReport& report, const std::string& line) {
  if (!report.detail.empty()) report.detail += "; ";
  report.detail += line;
}

Status SegmentSet::recover(RecoveryReport& report, Active& active) {
  std::error_code ec;
  std::filesystem::create_directories(opts_.dir, ec);
  if (ec) return Status::from_errno(ec.value(), "create directory " + opts_.dir.string());
  std::vector<SegmentFile> segments;
  if (Status st = list_segments(opts_.dir, segments); !st.ok()) return st;
  report.segments = static_cast<uint32_t>(segments.size());

  uint64_t expected = 0;  // offsets only go up, across segments too
  bool changed = false;
  std::vector<Check> kept;
  std::vector<const SegmentFile*> kept_files;
  for (size_t i = 0; i < segments.size(); ++i) {
    Check c;
    if (Status st = check(segments[i], expected, i + 1 == segments.size(), c, report); !st.ok()) return st;
    changed |= !c.kept || report.indexes_rebuilt > 0;
    if (!c.kept) continue;
    expected = c.next_offset;
    kept.push_back(std::move(c));
    kept_files.push_back(&segments[i]);
  }
  // Only the newest segment may take appends; if it was set aside, every kept
  // one is sealed and a new segment starts past all offsets seen.
  size_t sealed = kept.size();
  if (!kept.empty() && kept_files.back() == &segments.back()) {
    sealed = kept.size() - 1;
    active.found = true;
    active.file = segments.back();
    active.end = kept.back().end;
    active.created_ns = kept.back().header.created_ns;
    active.index = kept.back().index;
  }
  for (size_t i = 0; i < sealed; ++i) {
    sealed_.push_back(Sealed{kept[i].index.base_offset, kept[i].end, mtime_ns(kept_files[i]->path)});
    sealed_bytes_ += kept[i].end;
  }
  active.next_offset = expected;
  active.new_base = segments.empty() ? expected : std::max(expected, segments.back().base_offset);

  // Index files of segments that are gone (deleted, set aside) or of the active one.
  for (std::filesystem::directory_iterator it(opts_.dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != idxfmt::kSuffix) continue;
    std::filesystem::path seg = it->path();
    seg.replace_extension(segfmt::kSegmentSuffix);
    bool keep = false;
    for (size_t i = 0; i < sealed; ++i) keep |= kept_files[i]->path == seg;
    if (keep) continue;
    io_.remove(it->path());
    changed = true;
  }
  if (changed && !io_.sync_dir(opts_.dir).ok()) probe_.sync_errors.add();
  probe_.log_bytes.set(sealed_bytes_ + active.end);
  return Status();
}

bool SegmentSet::trusted_by_index(const SegmentFile& seg, uint64_t expected, Check& c) {
  std::vector<uint8_t> bytes;
  if (!io_.read_all(path(seg.base_offset, idxfmt::kSuffix), bytes).ok()) return false;
  SegmentIndex idx;
  const char* why = nullptr;
  if (!decode_index(bytes, idx, &why)) return false;
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(seg.path, ec);
  if (ec || idx.base_offset != seg.base_offset || idx.base_offset < expected || idx.end_pos != size ||
      idx.entries.empty() || std::filesystem::exists(path(seg.base_offset, ".suspect"), ec)) {
    return false;
  }
  // The header is cheap to check, and catches a segment replaced by another one.
  std::vector<uint8_t> head;
  const char* hwhy = nullptr;
  if (!io_.read_head(seg.path, segfmt::kSegmentHeaderSize, head).ok() ||
      !decode_segment_header(head, c.header, &hwhy) || c.header.base_offset != seg.base_offset) {
    return false;
  }
  c.kept = true;
  c.end = size;
  c.header.base_offset = seg.base_offset;
  c.next_offset = idx.next_offset;
  c.index = std::move(idx);
  return true;
}

Status SegmentSet::check(const SegmentFile& seg, uint64_t expected, bool last, Check& c,
                         RecoveryReport& report) {
  if (!last && trusted_by_index(seg, expected, c)) return Status();
  std::vector<uint8_t> bytes;
  if (Status st = io_.read_all(seg.path, bytes); !st.ok()) return st;
  DamageSeen damage;
  SegmentReader reader(bytes, &damage);
  const bool sealed = !last && read_only(seg.path);
  bool header_ok = reader.read_header(c.header);
  if (header_ok && c.header.base_offset != seg.base_offset) {
    damage.corruption(0, "segment header base offset disagrees with the file name");
    header_ok = false;
  }
  if (header_ok && c.header.base_offset < expected) {
    damage.corruption(0, "segment overlaps the offsets of the segment before it");
    header_ok = false;
  }
  if (!header_ok) {
    report.truncated_bytes += bytes.size();
    ++report.set_aside;
    if (bytes.empty()) {
      note(report, "segment " + seg.path.string() + ": empty file, removed");
      return io_.remove(seg.path);
    }
    std::filesystem::path aside = seg.path;
    aside += ".damaged";
    note(report, "segment " + seg.path.string() + ": " + damage.what + "; set aside as " +
                     aside.filename().string() + " (" + std::to_string(bytes.size()) + " bytes)");
    return io_.rename(seg.path, aside);
  }
  c.kept = true;
  c.index.partition = opts_.partition;
  c.index.base_offset = seg.base_offset;
  c.index.end_pos = segfmt::kSegmentHeaderSize;
  c.index.next_offset = seg.base_offset;
  BatchView batch;
  while (reader.next_batch(batch)) c.index.add_batch(batch.file_pos, batch.header);
  // Direct I/O's zero padding after the last batch is where the next one goes.
  c.end = reader.padded() ? reader.valid_end() : bytes.size();
  // Offsets past a torn last batch are not handed out again.
  c.next_offset = reader.claimed_end_offset();
  if (reader.skipped_spans() > 0) {
    report.skipped_spans += reader.skipped_spans();
    report.skipped_bytes += reader.skipped_bytes();
    report.lost_offsets += reader.lost_offsets();
    note(report, "segment " + seg.path.string() + ": " + std::to_string(reader.skipped_spans()) +
                     " damaged span(s) skipped, the first (" + damage.what + ") at byte " + std::to_string(damage.pos) +
                     "; " + std::to_string(reader.skipped_bytes()) + " bytes, " +
                     std::to_string(reader.lost_offsets()) + " offsets lost; the valid batches after it are kept");
  }
  if (reader.torn() && !sealed) {
    // Cut only where nothing valid follows, and only in a segment that was
    // still being written: the active one, or one a crash caught while it was
    // being left (not yet made read-only).
    c.end = reader.valid_end();
    uint64_t cut = bytes.size() - reader.valid_end();
    FileHandle f;
    if (Status st = io_.open(seg.path, OpenMode::kReadWrite, f); !st.ok()) return st;
    Status st = io_.truncate(f, reader.valid_end());
    if (st.ok()) st = io_.datasync(f);
    io_.close(f);
    if (!st.ok()) return st;
    report.truncated_bytes += cut;
    note(report, "segment " + seg.path.string() + ": " + damage.last_what + " at byte " +
                     std::to_string(damage.last_pos) + "; cut a torn tail of " + std::to_string(cut) +
                     " bytes, the next offset is " + std::to_string(c.next_offset));
  } else if (reader.torn()) {
    // A sealed segment is never cut: its damage stays for verify to report.
    report.skipped_bytes += bytes.size() - reader.valid_end();
    note(report, "sealed segment " + seg.path.string() + ": " + damage.last_what + " at byte " +
                     std::to_string(damage.last_pos) + " with nothing valid after it; kept as it is");
  }
  if (last) return Status();
  // A sealed segment read the long way: its index was missing or wrong.
  std::vector<uint8_t> old;
  bool had = io_.read_all(path(seg.base_offset, idxfmt::kSuffix), old).ok();
  if (had && old == encode_index(c.index)) return Status();
  if (!c.index.entries.empty()) {
    ++report.indexes_rebuilt;
    note(report, "index " + path(seg.base_offset, idxfmt::kSuffix).filename().string() +
                     (had ? ": damaged or stale, rebuilt" : ": missing, rebuilt"));
    write_index(c.index);
    make_read_only(seg.path);
  }
  return Status();
}

Status SegmentSet::write_index(const SegmentIndex& index) {
  std::vector<uint8_t> bytes = encode_index(index);
  FileHandle f;
  if (Status st = io_.open(path(index.base_offset, idxfmt::kSuffix), OpenMode::kCreateOrTruncate, f);
      !st.ok()) {
    return st;
  }
  Status st = io_.write_at(f, 0, bytes);
  if (st.ok()) st = io_.datasync(f);
  io_.close(f);
  return st;
}

void SegmentSet::seal(const SegmentIndex& index, bool suspect) {
  if (!suspect && !index.entries.empty()) {
    // The index is a shortcut only: if it can't be written the next open reads
    // the segment instead.
    write_index(index);
    make_read_only(path(index.base_offset, segfmt::kSegmentSuffix));
  }
  sealed_.push_back(Sealed{index.base_offset, index.end_pos, wall_ns()});
  sealed_bytes_ += index.end_pos;
}

void SegmentSet::enforce_retention(int64_t now_wall_ns, uint64_t active_bytes, uint64_t active_base) {
  bool changed = false;
  while (!sealed_.empty()) {
    const Sealed& s = sealed_.front();
    bool too_big = opts_.retention_bytes > 0 && sealed_bytes_ + active_bytes > opts_.retention_bytes;
    bool too_old = opts_.retention_ms > 0 &&
                   now_wall_ns - s.sealed_ns > static_cast<int64_t>(opts_.retention_ms) * 1'000'000;
    if (!too_big && !too_old) break;
    const uint64_t end = sealed_.size() > 1 ? sealed_[1].base_offset : active_base;
    if (opts_.holds != nullptr && !opts_.holds->may_delete(s.base_offset, end)) break;  // still to be read
    // The index and a suspect marker go first: a crash in between leaves a
    // segment without its index (rebuilt), never an index without its segment.
    io_.remove(path(s.base_offset, idxfmt::kSuffix));
    io_.remove(path(s.base_offset, ".suspect"));
    if (!io_.remove(path(s.base_offset, segfmt::kSegmentSuffix)).ok()) break;  // try again later
    sealed_bytes_ -= s.bytes;
    probe_.segments_deleted.add();
    sealed_.pop_front();
    changed = true;
  }
  if (changed && !io_.sync_dir(opts_.dir).ok()) probe_.sync_errors.add();
  probe_.log_bytes.set(sealed_bytes_ + active_bytes);
}

}  // namespace ringest
