// Power cuts at seeded, replayable points. Each point runs a random workload
// over CrashFileIo until the cut, opens the log again (sometimes cutting power
// again during that recovery or shortly after), and checks: the log opens;
// every record below a durable watermark the log reported survives, byte for
// byte; every record read back is one that was appended at that offset; no
// offset is handed out twice; the reader finds no damage after recovery but
// the spans recovery reported skipping; what recovery cut is what it reports.
//
// RINGEST_CRASH_POINTS=N runs N points (default 1000); RINGEST_CRASH_SEED=S
// starts at seed S, so a failure printed as "seed S" replays with
// RINGEST_CRASH_POINTS=1 RINGEST_CRASH_SEED=S.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "crash_file_io.h"
#include "sinks/coding.h"
#include "sinks/partition_log_internal.h"
#include "sinks/record_codec.h"
#include "sinks/segment_reader.h"
#include "test_util.h"

namespace ringest {
namespace {

using test::CrashFileIo;
using test::DataLoss;
using test::DiskModel;

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// Every record stored, decoded, by offset, straight from verified batches.
class StoredRecords : public LogVisitor {
 public:
  void on_record(uint32_t partition, uint64_t offset, const RecordView& r) override {
    records[offset] = test::OwnedRecord::from(r, partition, offset);
  }
  void on_damage(const std::filesystem::path& f, uint64_t pos, std::string_view why) override {
    damage.push_back(f.filename().string() + "@" + std::to_string(pos) + ": " + std::string(why));
  }
  std::map<uint64_t, test::OwnedRecord> records;
  std::vector<std::string> damage;
};

StoredRecords read_stored(const std::filesystem::path& dir) {
  StoredRecords r;
  PartitionDir p;
  p.path = dir;
  REQUIRE(list_segments(dir, p.segments).ok());
  REQUIRE(read_partition(p, r).ok());
  return r;
}

struct FileId {
  uint64_t inode = 0;
  uint64_t size = 0;  // of its data: without direct I/O's zero padding after the last batch
};

uint64_t data_size(const std::filesystem::path& file) {
  std::vector<uint8_t> bytes = test::read_bytes(file);
  SegmentReader reader(bytes, nullptr);
  SegmentHeader h;
  BatchView b;
  if (reader.read_header(h))
    while (reader.next_batch(b)) {
    }
  return reader.padded() ? reader.valid_end() : bytes.size();
}

std::map<std::string, FileId> segment_files(const std::filesystem::path& dir) {
  std::vector<SegmentFile> segs;
  REQUIRE(list_segments(dir, segs).ok());
  std::map<std::string, FileId> out;
  for (const SegmentFile& s : segs) {
    struct stat st;
    REQUIRE(::stat(s.path.c_str(), &st) == 0);
    out[s.path.filename().string()] = FileId{static_cast<uint64_t>(st.st_ino), data_size(s.path)};
  }
  return out;
}

struct Expected {
  std::map<uint64_t, test::OwnedRecord> records;     // offset -> the record appended there
  std::set<uint64_t> required;                       // below a durable watermark the log reported
  uint64_t serial = 0;                               // makes every record's content unique
};

class CrashPoint {
 public:
  explicit CrashPoint(uint64_t seed) : seed_(seed), rng_(seed), model_(dir_.path()) {
    opts_.dir = dir_.path();
    opts_.partition = 1;
    opts_.segment_bytes = 2048u << (rng_() % 4);
    opts_.batch_bytes = 100u << (rng_() % 4);
    opts_.writes_in_flight = 1 + rng_() % 3;
    opts_.durability = static_cast<Durability>(rng_() % 3);
    opts_.sync_interval_ms = 5;
    opts_.compression = static_cast<Compression>(rng_() % 3);
    loss_ = static_cast<DataLoss>(rng_() % 5);
    opts_.direct_io = rng_() % 2 == 0;  // CrashFileIo holds direct writes to whole aligned blocks
  }

  void run() {
    INFO("seed " << seed_ << ": " << std::string(test::to_string(loss_)) << ", durability "
                 << int(opts_.durability) << ", segment " << opts_.segment_bytes << ", batch "
                 << opts_.batch_bytes << (opts_.direct_io ? ", direct I/O" : ", page cache"));
    // First run: power goes somewhere in the middle of the workload.
    model_.plan_crash(1 + rng_() % 200, loss_, seed_);
    if (auto log = open()) {
      work(*log, 60);
      cut_power(std::move(log));
    } else {
      model_.restore();  // power went while the log was being created
    }
    // Second run, half the time: power goes again, maybe during recovery.
    if (rng_() % 2) {
      model_.plan_crash(1 + rng_() % 30, static_cast<DataLoss>(rng_() % 5), seed_ ^ 0x5eed);
      if (auto again = open()) {
        work(*again, 20);
        cut_power(std::move(again));
      } else {
        REQUIRE(model_.crashed());
        model_.restore();
      }
    }
    // Last run: no cut. Everything below a watermark is there, nothing else is.
    auto last = open();
    REQUIRE(last != nullptr);
    StoredRecords back = read_stored(dir_.path());
    // Damage left behind is only what recovery found and skipped (a batch that
    // tore while a later one completed): never a torn tail.
    INFO("damage after recovery: " << (back.damage.empty() ? "" : back.damage.front()));
    CHECK(back.damage.size() <= skipped_spans_);
    for (const auto& [off, record] : back.records) {
      auto it = expected_.records.find(off);
      REQUIRE_MESSAGE(it != expected_.records.end(), "offset " << off << " was never appended");
      CHECK_MESSAGE(it->second.same_content(record), "offset " << off << " differs from what was appended");
    }
    for (uint64_t off : expected_.required)
      CHECK_MESSAGE(back.records.count(off), "durable offset " << off << " lost");
    CHECK(last->close().ok());
  }

 private:
  // Opens over the crash layer; checks what recovery reports against the files.
  std::unique_ptr<PartitionLog> open() {
    auto before = segment_files(dir_.path());
    bool damaged = !read_stored(dir_.path()).damage.empty();
    RecoveryReport report;
    Status err;
    auto log = open_partition_log(opts_, report, err, std::make_unique<CrashFileIo>(model_));
    if (log == nullptr) {
      INFO(err.message());
      CHECK(model_.crashed());
      return nullptr;
    }
    if (model_.crashed()) return log;  // recovery itself was cut short: nothing to compare
    // Bytes gone from the segments that were there: cut from a tail, or the
    // whole file when it was set aside (even if a fresh one took its name).
    auto after = segment_files(dir_.path());
    uint64_t cut = 0;
    std::string sizes;  // for a failure's message
    for (const auto& [name, id] : before) {
      auto it = after.find(name);
      // Recovery only ever shrinks the data of a file it keeps (direct I/O pads
      // it to a block boundary again); a file whose data grew is a new
      // one, even if the file system handed it the same inode number.
      bool same = it != after.end() && it->second.inode == id.inode && it->second.size <= id.size;
      cut += same ? id.size - it->second.size : id.size;
      sizes += name + ": " + std::to_string(id.size) + " -> " +
               (it == after.end() ? "gone" : std::to_string(it->second.size)) + "; ";
    }
    INFO(sizes);
    INFO(report.detail);
    CHECK(report.truncated_bytes == cut);
    CHECK(damaged == (report.truncated_bytes > 0 || report.set_aside > 0 || report.skipped_spans > 0));
    CHECK(log->probe().recovery_cut_bytes.get() == cut);
    skipped_spans_ += report.skipped_spans;
    // What recovery left: every durable record is in it; the records it lost
    // (a torn tail, a batch torn before one that completed) were not durable.
    StoredRecords now = read_stored(dir_.path());
    for (auto it = expected_.records.begin(); it != expected_.records.end();) {
      if (now.records.count(it->first)) {
        ++it;
        continue;
      }
      CHECK_MESSAGE(!expected_.required.count(it->first), "durable offset " << it->first << " cut by recovery");
      it = expected_.records.erase(it);
    }
    // Offsets are never handed out twice: the next one is past every offset stored.
    if (!now.records.empty()) CHECK(now.records.rbegin()->first < report.next_offset);
    return log;
  }

  void work(PartitionLog& log, int datagrams) {
    for (int d = 0; d < datagrams && !model_.crashed(); ++d) {
      int n = 1 + static_cast<int>(rng_() % 4);
      for (int j = 0; j < n; ++j) {
        uint64_t off = log.probe().next_offset.get();
        uint64_t serial = expected_.serial++;
        test::OwnedRecord r = serial % 7 == 6 ? test::sample_raw(serial) : test::sample_point(serial);
        auto v = r.views();
        bool ok = r.kind == RecordKind::kRaw ? log.append_raw(v.origin, r.raw)
                                             : log.append_point(v.origin, v.point);
        REQUIRE(ok);
        expected_.records[off] = r;
      }
      log.end_datagram();
      if (rng_() % 6 == 0) log.flush();
      now_ += static_cast<int64_t>(rng_() % 4'000'000);
      log.poll(now_);
    }
    if (!model_.crashed() && rng_() % 4 == 0) log.close();
  }

  void cut_power(std::unique_ptr<PartitionLog> log) {
    uint64_t durable = log->probe().durable_offset.get();
    for (auto it = expected_.records.begin(); it != expected_.records.end() && it->first < durable; ++it) {
      expected_.required.insert(it->first);
    }
    model_.crash_now(loss_, seed_ + 1);  // no-op if the planned cut already came
    log.reset();
    model_.restore();
  }

  uint64_t seed_;
  std::mt19937_64 rng_;
  test::TempDir dir_;
  DiskModel model_;
  LogOptions opts_;
  DataLoss loss_;
  Expected expected_;
  uint64_t skipped_spans_ = 0;  // damaged spans recoveries reported skipping, in all
  int64_t now_ = 1'000'000'000;
};

TEST_CASE("crash points: the log survives a power cut anywhere") {
  uint64_t points = env_or("RINGEST_CRASH_POINTS", 1000);
  uint64_t first = env_or("RINGEST_CRASH_SEED", 1);
  for (uint64_t seed = first; seed < first + points; ++seed) CrashPoint(seed).run();
}

}  // namespace
}  // namespace ringest
