// ringest-dump print --follow: reads each partition like print does, then
// keeps reading what the daemon appends, every 200 ms, through the log's own
// tail reader (sinks/log_tail.h): a batch still being written is read again
// next time, damage in a segment that is no longer the newest is reported
// and skipped, and reading goes on with the next segment.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "sinks/log_tail.h"
#include "tools/dump.h"

namespace ringest::dump {
namespace {

struct Tail {
  Tail(const PartitionDir& p, const ReadRange& r) : partition(p.partition), range(r), log(p.path, r.from_offset) {}

  void step(RecordPrinter& printer) {
    log.step(
        [&](const BatchView& b, std::span<const uint8_t>) {
          BatchRecords records(b);
          RecordView r;
          uint64_t off = 0;
          while (records.next(r, off)) {
            if (off < range.from_offset || r.point.time_ns < range.since_ns || r.point.time_ns > range.until_ns)
              continue;
            printer.print(partition, off, r);
          }
          return true;
        },
        UINT64_MAX,
        [](const std::filesystem::path& segment, uint64_t pos) {
          std::fprintf(stderr, "ringest-dump: %s: damage at byte %llu; going on with the next batch\n",
                       segment.string().c_str(), static_cast<unsigned long long>(pos));
        });
    std::fflush(stdout);
  }

  uint32_t partition;
  ReadRange range;
  LogTail log;
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
        tails.push_back(std::make_unique<Tail>(p, range));
      }
    }
    for (auto& t : tails) t->step(printer);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace ringest::dump
