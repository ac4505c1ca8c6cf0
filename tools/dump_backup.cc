// ringest-dump backup DIR DEST: a consistent cut of a live log, taken without
// pausing the daemon. Per partition, in base-offset order:
//   - every segment but the newest is sealed (the daemon never writes it
//     again): it is copied whole, with its index;
//   - the newest is the active one: its size is taken, the file is synced
//     (fdatasync through a read-only descriptor: the daemon's own writes up to
//     then become durable), and its bytes up to that size are read and cut at
//     the end of the last whole, verified batch. So the copy holds exactly the
//     records that were durable at that moment.
// If the daemon rotates meanwhile, the newest segment of the listing is simply
// sealed by the time it is read; a segment that retention deletes meanwhile is
// left out (reported). Every file written is synced, then each directory.
// The copy is itself a log: `ringest-dump verify DEST` checks it.
#include <cstdio>
#include <vector>

#include "sinks/file_layer.h"
#include "sinks/segment_index.h"
#include "tools/dump.h"

#include "sinks/listener_catalog.h"

namespace ringest::dump {
namespace {

Status write_copy(const std::filesystem::path& to, std::span<const uint8_t> bytes) {
  FileHandle f;
  if (Status st = open_file(to, OpenMode::kCreateNew, f); !st.ok()) return st;
  Status st = write_file_at(f, 0, bytes);
  if (st.ok()) st = datasync_file(f);
  Status closed = close_file(f);
  return st.ok() ? closed : st;
}

// The active segment up to its durable, verified end.
Status copy_active(const SegmentFile& s, const std::filesystem::path& to, uint64_t& records) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(s.path, ec);
  if (ec) return Status::from_errno(ec.value(), "stat " + s.path.string());
  if (Status st = datasync_path(s.path); !st.ok()) return st;
  std::vector<uint8_t> bytes;
  if (Status st = read_file(s.path, bytes, size); !st.ok()) return st;
  SegmentReader reader(bytes, nullptr);
  SegmentHeader h;
  if (!reader.read_header(h)) return Status();  // still being created: nothing durable in it yet
  BatchView b;
  while (reader.next_batch(b)) {
  }
  records += reader.next_offset() - h.base_offset;
  return write_copy(to, std::span(bytes).first(reader.valid_end()));
}

}  // namespace

int backup(const std::filesystem::path& dir, const std::filesystem::path& dest) {
  std::vector<PartitionDir> parts;
  if (Status st = list_partitions(dir, parts); !st.ok()) {
    std::fprintf(stderr, "ringest-dump: %s\n", st.message().c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(dest, ec);
  if (ec) {
    std::fprintf(stderr, "ringest-dump: create %s: %s\n", dest.string().c_str(), ec.message().c_str());
    return 1;
  }
  int rc = 0;
  uint64_t files = 0, records = 0;
  auto fail = [&rc](const Status& st) {
    std::fprintf(stderr, "ringest-dump: backup: %s\n", st.message().c_str());
    rc = 1;
  };
  for (const PartitionDir& p : parts) {
    std::filesystem::path to = dest / std::to_string(p.partition);
    std::filesystem::create_directories(to, ec);
    for (size_t i = 0; i < p.segments.size(); ++i) {
      const SegmentFile& s = p.segments[i];
      std::filesystem::path target = to / s.path.filename();
      if (i + 1 == p.segments.size()) {
        if (Status st = copy_active(s, target, records); !st.ok()) fail(st);
        ++files;
        continue;
      }
      std::vector<uint8_t> bytes;
      if (!read_file(s.path, bytes).ok()) {
        std::fprintf(stderr, "ringest-dump: backup: %s went away (retention); left out\n", s.path.string().c_str());
        continue;
      }
      if (Status st = write_copy(target, bytes); !st.ok()) fail(st);
      std::filesystem::path idx = s.path;
      idx.replace_extension(idxfmt::kSuffix);
      SegmentIndex index;
      const char* why = nullptr;
      if (read_file(idx, bytes).ok() && decode_index(bytes, index, &why)) {
        records += index.next_offset - index.base_offset;
        std::filesystem::path idx_to = target;
        if (Status st = write_copy(idx_to.replace_extension(idxfmt::kSuffix), bytes); !st.ok()) fail(st);
      }
      ++files;
    }
    if (Status st = sync_directory(to); !st.ok()) fail(st);
  }
  // The listener catalog last: an entry is written before any record names
  // it, so a copy taken after the segments names every listener they hold.
  std::vector<uint8_t> catalog;
  if (const std::filesystem::path from = dir / ListenerCatalog::kFileName; std::filesystem::exists(from, ec)) {
    if (Status st = read_file(from, catalog); !st.ok()) {
      fail(st);
    } else if (Status w = write_copy(dest / ListenerCatalog::kFileName, catalog); !w.ok()) {
      fail(w);
    }
  }
  if (Status st = sync_directory(dest); !st.ok()) fail(st);
  std::printf("{\"ok\":%s,\"partitions\":%zu,\"segments\":%llu,\"records_at_least\":%llu}\n",
              rc == 0 ? "true" : "false", parts.size(), static_cast<unsigned long long>(files),
              static_cast<unsigned long long>(records));
  return rc;
}

}  // namespace ringest::dump
