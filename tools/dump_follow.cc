// ringest-dump print --follow: reads each partition like print does, then
// keeps reading what the daemon appends. Per partition it remembers the
// segment, the byte position after the last whole batch and the next offset;
// every 200 ms it reads from there. A batch still being written looks torn
// and is simply read again next time (in the newest segment the reader stops
// at the first gap: a later batch may complete before an earlier one); once
// a segment is no longer the newest, it is read past damaged batches, the
// damage is reported and the next segment is read.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "sinks/segment_format.h"
#include "tools/dump.h"

namespace ringest::dump {
namespace {

class Tail {
 public:
  Tail(const PartitionDir& p, const ReadRange& range, RecordPrinter& printer)
      : partition_(p.partition), dir_(p.path), range_(range), printer_(printer) {}

  // Reads whatever is new; returns false on an error worth stopping for.
  void step() {
    std::vector<SegmentFile> segs;
    if (!list_segments(dir_, segs).ok() || segs.empty()) return;
    for (;;) {
      size_t i = 0;
      while (i < segs.size() && segs[i].base_offset < base_) ++i;
      if (i == segs.size()) return;
      if (segs[i].base_offset != base_) {  // the segment went (retention) or this is the start
        base_ = segs[i].base_offset;
        pos_ = 0;
      }
      bool newest = i + 1 == segs.size();
      bool clean = read_from(segs[i], newest);
      if (newest) return;
      if (!clean) damaged_at(segs[i]);
      // Not the newest: once it has nothing more, go on to the next one.
      base_ = segs[i + 1].base_offset;
      pos_ = 0;
    }
  }

 private:
  // Reads segment `s` from pos_; true if it ended cleanly.
  bool read_from(const SegmentFile& s, bool newest) {
    std::ifstream in(s.path, std::ios::binary);
    if (!in) return true;
    in.seekg(static_cast<std::streamoff>(pos_));
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SegmentReader reader(bytes, nullptr, newest ? SegmentReader::OnDamage::kStop : SegmentReader::OnDamage::kResync);
    if (pos_ == 0) {
      SegmentHeader h;
      if (!reader.read_header(h))
        return bytes.size() < segfmt::kSegmentHeaderSize;  // maybe still being created
      next_offset_ = h.base_offset;
    } else {
      reader.resume(pos_, next_offset_);
    }
    BatchView b;
    while (reader.next_batch(b)) {
      BatchRecords records(b);
      RecordView r;
      uint64_t off = 0;
      while (records.next(r, off)) {
        if (off < range_.from_offset || r.point.time_ns < range_.since_ns ||
            r.point.time_ns > range_.until_ns) {
          continue;
        }
        printer_.print(partition_, off, r);
      }
    }
    pos_ = reader.valid_end();
    next_offset_ = reader.next_offset();
    std::fflush(stdout);
    return !reader.damaged();
  }

  void damaged_at(const SegmentFile& s) {
    std::fprintf(stderr, "ringest-dump: %s: damage at byte %llu; going on with the next segment\n",
                 s.path.string().c_str(), static_cast<unsigned long long>(pos_));
  }

  uint32_t partition_;
  std::filesystem::path dir_;
  ReadRange range_;
  RecordPrinter& printer_;
  uint64_t base_ = 0;
  uint64_t pos_ = 0;  // 0: the segment header is still to be read
  uint64_t next_offset_ = 0;
};

}  // namespace

int follow(const std::filesystem::path& dir, const ReadRange& range, RecordPrinter& printer) {
  std::vector<std::unique_ptr<Tail>> tails;
  std::vector<uint32_t> known;
  for (;;) {
    // Partitions can appear after the start (a daemon that starts later).
    std::vector<PartitionDir> parts;
    if (list_partitions(dir, parts).ok()) {
      for (const PartitionDir& p : parts) {
        if (std::find(known.begin(), known.end(), p.partition) != known.end()) continue;
        known.push_back(p.partition);
        tails.push_back(std::make_unique<Tail>(p, range, printer));
      }
    }
    for (auto& t : tails) t->step();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace ringest::dump
