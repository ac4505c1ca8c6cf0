// Internal to ringest-dump: the pieces its subcommands share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "sinks/segment_reader.h"

namespace ringest::dump {

enum class Format { kJson, kLine };

// Writes one record as a JSON line or an InfluxDB line-protocol line to stdout.
class RecordPrinter {
 public:
  RecordPrinter(Format f, bool origin) : format_(f), origin_(origin) {}
  void print(uint32_t partition, uint64_t offset, const RecordView& r);

 private:
  Format format_;
  bool origin_;
  std::string line_;
};

// --follow: prints what `range` selects, then what is appended, until killed.
int follow(const std::filesystem::path& dir, const ReadRange& range, RecordPrinter& printer);

// backup: copies a consistent cut of the log in `dir` into `dest` (see dump_backup.cc).
int backup(const std::filesystem::path& dir, const std::filesystem::path& dest);

}  // namespace ringest::dump
