// Internal to ringest-dump: the pieces its subcommands share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <set>

#include "sinks/listener_catalog.h"
#include "sinks/segment_reader.h"

namespace ringest::dump {

enum class Format { kJson, kLine };

// Writes one record as a JSON line or an InfluxDB line-protocol line to stdout.
// JSON records name their listener (`listener_name`, `listener_format`) from
// the listener catalog of the data directory `dir` (or of its parent, when
// `dir` is one partition).
class RecordPrinter {
 public:
  RecordPrinter(Format f, bool origin, const std::filesystem::path& dir);
  void print(uint32_t partition, uint64_t offset, const RecordView& r);

 private:
  const CatalogEntry* listener(uint16_t id);

  Format format_;
  bool origin_;
  std::filesystem::path catalog_dir_;
  ListenerCatalog catalog_;
  std::set<uint16_t> unknown_;  // ids the catalog did not have when last read
  std::string line_;
};

// --follow: prints what `range` selects, then what is appended, until killed.
int follow(const std::filesystem::path& dir, const ReadRange& range, RecordPrinter& printer);

// backup: copies a consistent cut of the log in `dir` into `dest` (see dump_backup.cc).
int backup(const std::filesystem::path& dir, const std::filesystem::path& dest);

// stream: checks (and prints) what an output forwarded to a JetStream stream
// (dump_stream.cc; where there is no NATS client, a stub that says so).
int stream_command(int argc, char** argv);

}  // namespace ringest::dump
