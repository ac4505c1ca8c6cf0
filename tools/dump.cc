// ringest-dump: reads a data directory (or one partition directory) with the
// same reader the daemon's recovery uses, verifies every checksum, and prints
// one JSON line per record, or only counts (--count) or a summary (--verify).
// Damage goes to stderr with file and byte position.
//
// Exit: 0 all intact, 1 damage found (or a file could not be read), 2 usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "sinks/point_json.h"
#include "sinks/segment_reader.h"

namespace {

using namespace ringest;

enum class Mode { kRecords, kCount, kVerify };

class Dumper : public LogVisitor {
 public:
  Dumper(Mode mode, bool origin) : mode_(mode), origin_(origin) {}

  void on_segment(const SegmentFile&, const SegmentHeader&) override { ++segments_; }
  void on_batch(const SegmentFile&, const BatchView&) override { ++batches_; }

  void on_record(uint32_t partition, uint64_t offset, const RecordView& r) override {
    ++per_partition_[partition];
    ++records_;
    if (mode_ != Mode::kRecords) return;
    line_.clear();
    line_ += "{\"partition\":";
    line_ += std::to_string(partition);
    line_ += ",\"offset\":";
    line_ += std::to_string(offset);
    line_ += ',';
    if (r.kind == RecordKind::kRaw) {
      line_ += "\"raw\":";
      append_json_string(line_, r.raw);
      line_ += ',';
      append_origin_members(line_, r.origin);
    } else {
      append_point_members(line_, r.point);
      if (origin_) {
        line_ += ',';
        append_origin_members(line_, r.origin);
      }
    }
    line_ += "}\n";
    std::fwrite(line_.data(), 1, line_.size(), stdout);
  }

  void on_damage(const std::filesystem::path& file, uint64_t pos, std::string_view reason) override {
    ++damage_;
    std::fprintf(stderr, "ringest-dump: %s: damage at byte %llu: %.*s\n", file.c_str(),
                 static_cast<unsigned long long>(pos), static_cast<int>(reason.size()), reason.data());
  }

  void add_partition(uint32_t p) { per_partition_.try_emplace(p, 0); }

  void print_counts() const {
    std::string out = "{\"partitions\":{";
    bool first = true;
    for (const auto& [p, n] : per_partition_) {
      if (!first) out += ',';
      first = false;
      out += '"' + std::to_string(p) + "\":" + std::to_string(n);
    }
    out += "},\"total\":" + std::to_string(records_) + "}\n";
    std::fputs(out.c_str(), stdout);
  }

  void print_summary(size_t partitions) const {
    std::printf(
        "{\"ok\":%s,\"partitions\":%zu,\"segments\":%llu,\"batches\":%llu,\"records\":%llu,"
        "\"damage\":%llu}\n",
        damage_ == 0 ? "true" : "false", partitions, static_cast<unsigned long long>(segments_),
        static_cast<unsigned long long>(batches_), static_cast<unsigned long long>(records_),
        static_cast<unsigned long long>(damage_));
  }

  uint64_t damage() const { return damage_; }

 private:
  Mode mode_;
  bool origin_;
  std::string line_;
  std::map<uint32_t, uint64_t> per_partition_;
  uint64_t segments_ = 0, batches_ = 0, records_ = 0, damage_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Read a ringest data directory, verify every checksum and print its records as JSON lines."};
  std::string dir;
  bool count = false, verify = false, origin = false;
  app.add_option("DIR", dir, "data directory (holding <partition>/ directories) or one partition directory")
      ->required();
  app.add_flag("--count", count, "print only the number of records per partition and in total, as JSON");
  app.add_flag("--verify", verify, "check everything, print only a summary");
  app.add_flag("--origin", origin, "add listener, source and receive_ns to point records");
  try {
    app.parse(argc, argv);
    if (count && verify) throw CLI::ValidationError("--count and --verify", "choose one");
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "ringest-dump: %s: not a directory\n", dir.c_str());
    return 2;
  }
  std::vector<PartitionDir> partitions;
  if (Status st = list_partitions(dir, partitions); !st.ok()) {
    std::fprintf(stderr, "ringest-dump: %s\n", st.message().c_str());
    return 1;
  }
  Mode mode = count ? Mode::kCount : verify ? Mode::kVerify : Mode::kRecords;
  Dumper dumper(mode, origin);
  int rc = 0;
  for (const PartitionDir& p : partitions) {
    dumper.add_partition(p.partition);
    if (Status st = read_partition(p, dumper); !st.ok()) {
      std::fprintf(stderr, "ringest-dump: %s\n", st.message().c_str());
      rc = 1;
    }
  }
  if (mode == Mode::kCount) dumper.print_counts();
  if (mode == Mode::kVerify) dumper.print_summary(partitions.size());
  std::fflush(stdout);
  return dumper.damage() > 0 ? 1 : rc;
}
