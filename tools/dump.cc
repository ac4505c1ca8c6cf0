// ringest-dump: reads a data directory (or one partition directory) with the
// same reader the daemon's recovery uses. Subcommands:
//   list DIR            every segment: offsets, times, size, state, index
//   verify DIR          every CRC and record; a summary, damage on stderr
//   print DIR           records as JSON lines or line protocol, optionally
//                       --from-offset, --since/--until (through the sparse
//                       index), --follow to tail a live log
//   count DIR           records per partition
//   backup DIR DEST     a consistent copy while the daemon runs
//   stream              what an output forwarded to a JetStream stream: offsets
//                       contiguous, none twice, every batch checksum (dump_stream.cc)
// `ringest-dump DIR [--count|--verify]` is the older spelling of print/count/verify.
// Damage goes to stderr with file and byte position.
//
// Exit: 0 all intact, 1 damage found (or a file could not be read), 2 usage.
#include "tools/dump.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "sinks/file_layer.h"
#include <nlohmann/json.hpp>

#include "sinks/point_json.h"
#include "sinks/point_line.h"
#include "sinks/segment_index.h"

namespace ringest::dump {

namespace {

enum class Mode { kRecords, kCount, kVerify };

}  // namespace

RecordPrinter::RecordPrinter(Format f, bool origin, const std::filesystem::path& dir) : format_(f), origin_(origin) {
  std::error_code ec;
  catalog_dir_ = std::filesystem::exists(dir / ListenerCatalog::kFileName, ec) ? dir : dir.parent_path();
  std::vector<std::string> damage;
  ListenerCatalog::read(catalog_dir_, catalog_, &damage);
  for (const std::string& d : damage) std::fprintf(stderr, "ringest-dump: %s\n", d.c_str());
}

const CatalogEntry* RecordPrinter::listener(uint16_t id) {
  if (const CatalogEntry* e = catalog_.find(id)) return e;
  // Following a live log: a listener added since the catalog was read.
  if (!unknown_.insert(id).second) return nullptr;
  ListenerCatalog::read(catalog_dir_, catalog_, nullptr);
  if (const CatalogEntry* e = catalog_.find(id)) {
    unknown_.erase(id);
    return e;
  }
  return nullptr;
}

void RecordPrinter::print(uint32_t partition, uint64_t offset, const RecordView& r) {
  line_.clear();
  if (format_ == Format::kJson) {
    nlohmann::ordered_json obj = {{"partition", partition}, {"offset", offset}};
    const bool with_origin = r.kind == RecordKind::kRaw || origin_;
    if (r.kind == RecordKind::kRaw) {
      obj["raw"] = std::string(r.raw);
    } else {
      add_point_members(obj, r.point);
    }
    if (with_origin) {
      add_origin_members(obj, r.origin);
      if (const CatalogEntry* e = listener(r.origin.listener)) {
        obj["listener_name"] = e->name;
        obj["listener_format"] = e->format;
      }
    }
    append_json(line_, obj);
    line_ += '\n';
  } else if (r.kind == RecordKind::kRaw) {
    // A line that did not parse has no measurement: it is shown as one.
    line_ +=
        "ringest_raw,partition=" + std::to_string(partition) + " offset=" + std::to_string(offset) + "u,raw=";
    append_line_string(line_, r.raw);
    line_ += ' ' + std::to_string(r.point.time_ns) + '\n';
  } else {
    append_point_line(line_, r.point);
  }
  std::fwrite(line_.data(), 1, line_.size(), stdout);
}

namespace {

class Dumper : public LogVisitor {
 public:
  Dumper(Mode mode, RecordPrinter& printer) : mode_(mode), printer_(printer) {}

  void on_segment(const SegmentFile&, const SegmentHeader&) override { ++segments_; }
  void on_batch(const SegmentFile&, const BatchView&) override { ++batches_; }
  void on_record(uint32_t partition, uint64_t offset, const RecordView& r) override {
    ++per_partition_[partition];
    ++records_;
    if (mode_ == Mode::kRecords) printer_.print(partition, offset, r);
  }
  void on_damage(const std::filesystem::path& file, uint64_t pos, std::string_view reason) override {
    ++damage_;
    std::fprintf(stderr, "ringest-dump: %s: damage at byte %llu: %.*s\n", file.string().c_str(),
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
  RecordPrinter& printer_;
  std::map<uint32_t, uint64_t> per_partition_;
  uint64_t segments_ = 0, batches_ = 0, records_ = 0, damage_ = 0;
};

int read_all(const std::string& dir, Mode mode, RecordPrinter& printer, const ReadRange& range) {
  std::vector<PartitionDir> partitions;
  if (Status st = list_partitions(dir, partitions); !st.ok()) {
    std::fprintf(stderr, "ringest-dump: %s\n", st.message().c_str());
    return 1;
  }
  Dumper dumper(mode, printer);
  int rc = 0;
  for (const PartitionDir& p : partitions) {
    dumper.add_partition(p.partition);
    if (Status st = read_partition(p, dumper, range); !st.ok()) {
      std::fprintf(stderr, "ringest-dump: %s\n", st.message().c_str());
      rc = 1;
    }
  }
  if (mode == Mode::kCount) dumper.print_counts();
  if (mode == Mode::kVerify) dumper.print_summary(partitions.size());
  std::fflush(stdout);
  return dumper.damage() > 0 ? 1 : rc;
}

// list: one JSON line per segment file (and per set-aside .damaged file).
int list(const std::string& dir) {
  std::vector<PartitionDir> partitions;
  if (Status st = list_partitions(dir, partitions); !st.ok()) {
    std::fprintf(stderr, "ringest-dump: %s\n", st.message().c_str());
    return 1;
  }
  int rc = 0;
  for (const PartitionDir& p : partitions) {
    for (size_t i = 0; i < p.segments.size(); ++i) {
      const SegmentFile& seg = p.segments[i];
      std::vector<uint8_t> bytes;
      if (!read_file(seg.path, bytes).ok()) continue;  // deleted by retention meanwhile
      SegmentReader reader(bytes, nullptr);
      SegmentHeader h;
      SegmentIndex idx;
      bool header = reader.read_header(h);
      BatchView b;
      while (header && reader.next_batch(b)) idx.add_batch(b.file_pos, b.header);
      std::filesystem::path side = seg.path;
      std::error_code ec;
      bool has_index = std::filesystem::exists(side.replace_extension(idxfmt::kSuffix), ec);
      bool suspect = std::filesystem::exists(side.replace_extension(".suspect"), ec);
      const char* state = !header || reader.damaged()  ? "damaged"
                          : suspect                    ? "suspect"
                          : i + 1 == p.segments.size() ? "active"
                                                       : "sealed";
      if (!header || reader.damaged()) rc = 1;
      std::printf(
          "{\"partition\":%u,\"segment\":\"%s\",\"base_offset\":%llu,\"next_offset\":%llu,\"records\":%llu,"
          "\"min_time_ns\":%lld,\"max_time_ns\":%lld,\"bytes\":%zu,\"valid_bytes\":%llu,\"state\":\"%s\","
          "\"index\":%s}\n",
          p.partition, seg.path.filename().string().c_str(), static_cast<unsigned long long>(seg.base_offset),
          static_cast<unsigned long long>(reader.next_offset()),
          static_cast<unsigned long long>(reader.next_offset() - seg.base_offset),
          static_cast<long long>(idx.entries.empty() ? 0 : idx.min_time()),
          static_cast<long long>(idx.entries.empty() ? 0 : idx.max_time()), bytes.size(),
          static_cast<unsigned long long>(reader.valid_end()), state, has_index ? "true" : "false");
    }
  }
  std::fflush(stdout);
  return rc;
}

// Nanoseconds since the epoch, given as a number or as UTC "YYYY-MM-DDTHH:MM:SS[.frac]Z".
bool parse_time(const std::string& s, int64_t& out) {
  char* end = nullptr;
  long long n = std::strtoll(s.c_str(), &end, 10);
  if (!s.empty() && *end == '\0') {
    out = n;
    return true;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac_at = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &frac_at) != 6) return false;
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{unsigned(mo)},
                                         std::chrono::day{unsigned(d)}};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) return false;
  int64_t ns = 0, scale = 100'000'000;
  const char* p = s.c_str() + frac_at;
  if (*p == '.') {
    for (++p; *p >= '0' && *p <= '9'; ++p, scale /= 10) ns += (*p - '0') * scale;
  }
  if (std::string_view(p) != "Z") return false;
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  out = ((days * 24 + h) * 60 + mi) * int64_t{60} + sec;
  out = out * 1'000'000'000 + ns;
  return true;
}

int usage(CLI::App& app, const CLI::ParseError& e) {
  int rc = app.exit(e);
  return rc == 0 ? 0 : 2;
}

int subcommand(int argc, char** argv) {
  std::string cmd = argv[1];
  CLI::App app{"ringest-dump " + cmd};
  app.name("ringest-dump " + cmd);
  app.allow_windows_style_options(false);  // "/data/..." is a directory on every platform
  std::string dir, dest, format = "json", since, until;
  bool origin = false, follow_log = false;
  ReadRange range;
  app.add_option("DIR", dir, "data directory (holding <partition>/ directories) or one partition directory")
      ->required();
  if (cmd == "backup") {
    app.add_option("DEST", dest, "directory to copy into (created; must not hold a log already)")->required();
  }
  if (cmd == "print") {
    app.add_option("--format", format, "json (one object per line) or line (InfluxDB line protocol)")
        ->check(CLI::IsMember({"json", "line"}));
    app.add_option("--from-offset", range.from_offset,
                   "only records at or after this offset (each partition)");
    app.add_option("--since", since,
                   "only records with time >= this (ns since the epoch, or UTC 2026-01-02T03:04:05Z)");
    app.add_option("--until", until, "only records with time <= this");
    app.add_flag("--origin", origin,
                 "add listener (id, name and format), source and receive_ns to JSON point records");
    app.add_flag("--follow", follow_log, "keep printing records as they are appended (until interrupted)");
  }
  try {
    app.parse(argc - 1, argv + 1);
    if (!since.empty() && !parse_time(since, range.since_ns))
      throw CLI::ValidationError("--since", "bad time " + since);
    if (!until.empty() && !parse_time(until, range.until_ns))
      throw CLI::ValidationError("--until", "bad time " + until);
  } catch (const CLI::ParseError& e) {
    return usage(app, e);
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "ringest-dump: %s: not a directory\n", dir.c_str());
    return 2;
  }
  RecordPrinter printer(format == "line" ? Format::kLine : Format::kJson, origin, dir);
  if (cmd == "list") return list(dir);
  if (cmd == "verify") return read_all(dir, Mode::kVerify, printer, range);
  if (cmd == "count") return read_all(dir, Mode::kCount, printer, range);
  if (cmd == "backup") return backup(dir, dest);
  if (follow_log) return follow(dir, range, printer);
  return read_all(dir, Mode::kRecords, printer, range);
}

int legacy(int argc, char** argv) {
  CLI::App app{
      "Read a ringest data directory, verify every checksum and print its records as JSON lines.\n"
      "Subcommands: list, verify, print, count, backup (ringest-dump SUBCOMMAND --help)."};
  app.allow_windows_style_options(false);
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
  } catch (const CLI::ParseError& e) {
    return usage(app, e);
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "ringest-dump: %s: not a directory\n", dir.c_str());
    return 2;
  }
  RecordPrinter printer(Format::kJson, origin, dir);
  return read_all(dir, count ? Mode::kCount : verify ? Mode::kVerify : Mode::kRecords, printer, {});
}

}  // namespace
}  // namespace ringest::dump

int main(int argc, char** argv) {
  if (argc > 1) {
    std::string_view first = argv[1];
    if (first == "stream") return ringest::dump::stream_command(argc, argv);
    for (std::string_view c : {"list", "verify", "print", "count", "backup"}) {
      if (first == c) return ringest::dump::subcommand(argc, argv);
    }
  }
  return ringest::dump::legacy(argc, argv);
}
