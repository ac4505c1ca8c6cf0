// ListenerCatalog: which listener a stored record came from, for as long as the
// data directory is kept. A record carries a 16-bit listener id
// (Origin::listener); the catalog, `listeners.catalog` in the data directory,
// maps each id to the listener's name and format. An id stands for one
// (name, format) pair for good: the same pair gets the same id after a reorder,
// a reload or a restart; a renamed listener, or one whose format changed, gets
// a new id; a removed one keeps its entry.
//
// The file is append-only text, one entry per line, each line
// `<crc32c of the JSON, 8 hex digits> <JSON object>\n`:
//   {"first_id":N}                                   the first line
//   {"id":7,"name":"statsd","format":"statsd","added_ns":...}
// A new entry is written and synced before any record can carry its id. A torn
// or damaged line is skipped (and reported); the writer cuts a torn last line.
// `first_id` is 0 for a directory that held no segments when the catalog was
// made; for one made over segments written before catalogs existed it is
// kFirstIdOverOldData, because those records' ids were config positions that
// nothing here can resolve.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace ringest {

struct CatalogEntry {
  uint16_t id = 0;
  std::string name;
  std::string format;
  int64_t added_ns = 0;
};

class ListenerCatalog {
 public:
  static constexpr const char* kFileName = "listeners.catalog";
  static constexpr uint16_t kFirstIdOverOldData = 4096;

  // Reads the catalog in `data_dir` (missing: empty). `damage` gets one line
  // per entry that could not be read.
  static Status read(const std::filesystem::path& data_dir, ListenerCatalog& out, std::vector<std::string>* damage);
  // For the daemon: reads it, cuts a torn last line, and creates the file
  // (synced, with its directory entry) if there is none. `has_old_data`:
  // the directory already holds segments.
  static Status open(const std::filesystem::path& data_dir, bool has_old_data, ListenerCatalog& out,
                     std::vector<std::string>* damage);

  // The id of (name, format): the catalog's, or a new one, appended and
  // synced before it is returned. Fails when the file can't be written or
  // the ids are used up.
  Status id_for(const std::string& name, const std::string& format, uint16_t& id);
  // The entry of `id`, or null.
  const CatalogEntry* find(uint16_t id) const;
  const std::vector<CatalogEntry>& entries() const { return entries_; }
  uint16_t first_id() const { return first_id_; }

 private:
  Status append_line(const std::string& json);

  std::filesystem::path path_;
  uint16_t first_id_ = 0;
  uint32_t next_id_ = 0;
  uint64_t size_ = 0;  // bytes of whole lines
  std::vector<CatalogEntry> entries_;
};

}  // namespace ringest
