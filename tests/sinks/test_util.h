// Helpers shared by the sinks tests: temporary directories, owned copies of
// decoded records, reading a whole partition back, poking bytes in files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sinks/partition_log.h"
#include "common/point.h"
#include "sinks/record_codec.h"
#include "sinks/segment_reader.h"
#include "tests/support/temp_dir.h"

namespace ringest::test {

// Opens a partition log, failing the test (with the reason) if it cannot.
std::unique_ptr<PartitionLog> open_log(const LogOptions& o, RecoveryReport& report);
inline std::unique_ptr<PartitionLog> open_log(const LogOptions& o) {
  RecoveryReport report;
  return open_log(o, report);
}

// A point that owns its strings, for building input and comparing output.
struct OwnedField {
  std::string key;
  FieldType type = FieldType::kFloat;
  double f = 0;
  int64_t i = 0;
  uint64_t u = 0;
  bool b = false;
  std::string s;
  bool operator==(const OwnedField&) const = default;
};

struct OwnedRecord {
  uint32_t partition = 0;
  uint64_t offset = 0;
  RecordKind kind = RecordKind::kPoint;
  uint16_t listener = 0;
  SourceAddress source;
  int64_t receive_ns = 0;
  int64_t time_ns = 0;
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<OwnedField> fields;
  std::string raw;

  static OwnedRecord from(const RecordView& v, uint32_t partition = 0, uint64_t offset = 0);
  // Views over this record's strings, valid while it lives and is not changed.
  // Names a parser gives as Known ids (kKnownNames) carry their ids.
  struct Views {
    Origin origin;
    std::vector<Tag> tags;
    std::vector<Field> fields;
    PointView point;
  };
  Views views() const;
  bool same_content(const OwnedRecord& o) const;  // all but partition and offset
};

// A varied point number `n` (every field type, some tags, IPv4 or IPv6 origin).
OwnedRecord sample_point(uint64_t n);
// A point as the StatsD parser gives a metric (every type, with DogStatsD
// tags, sample rates and deltas among them): stored as a metric record.
OwnedRecord sample_metric(uint64_t n);
OwnedRecord sample_raw(uint64_t n);

// Records encoded as one batch's payload holds them (the current format).
std::vector<uint8_t> encode_payload(const std::vector<OwnedRecord>& records);

struct ReadBack {
  std::vector<OwnedRecord> records;
  std::vector<std::string> damage;             // "file@pos: reason"
  std::vector<std::vector<uint64_t>> batches;  // offsets of each batch, in order
  size_t segments = 0;
};
// Reads a partition directory with read_partition.
ReadBack read_back(const std::filesystem::path& partition_dir);

std::vector<uint8_t> read_bytes(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes);
// The last segment file of a partition directory.
std::filesystem::path last_segment(const std::filesystem::path& partition_dir);

}  // namespace ringest::test
