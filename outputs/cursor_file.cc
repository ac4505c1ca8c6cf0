#include "outputs/cursor_file.h"

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "sinks/crc32c.h"
#include "sinks/file_layer.h"

namespace ringest {
namespace {

std::string line_for(uint64_t offset) {
  const std::string body = "ringest-cursor 1 " + std::to_string(offset);
  char crc[16];
  std::snprintf(crc, sizeof crc, " %08" PRIx32 "\n", crc32c::value(body.data(), body.size()));
  return body + crc;
}

}  // namespace

Status write_cursor(const std::filesystem::path& path, uint64_t offset) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Status::invalid("cannot create " + path.parent_path().string() + ": " + ec.message());
  const std::filesystem::path tmp = path.string() + ".tmp";
  const std::string line = line_for(offset);
  FileHandle f;
  Status st = open_file(tmp, OpenMode::kCreateOrTruncate, f);
  if (!st.ok()) return st;
  st = write_file_at(f, 0, std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
  if (st.ok()) st = datasync_file(f);
  Status closed = close_file(f);
  if (st.ok()) st = closed;
  if (st.ok()) st = rename_file(tmp, path);
  if (st.ok()) st = sync_directory(path.parent_path());
  return st;
}

bool read_cursor(const std::filesystem::path& path, uint64_t& offset) {
  std::vector<uint8_t> bytes;
  if (!read_file(path, bytes, 256).ok()) return false;
  const std::string text(bytes.begin(), bytes.end());
  uint64_t value = 0;
  if (std::sscanf(text.c_str(), "ringest-cursor 1 %" SCNu64, &value) != 1) return false;
  if (text != line_for(value)) return false;
  offset = value;
  return true;
}

}  // namespace ringest
