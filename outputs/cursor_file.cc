#include "outputs/cursor_file.h"

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "sinks/crc32c.h"
#include "sinks/file_layer.h"

namespace ringest {
namespace {

std::string checked(const std::string& body) {
  char crc[16];
  std::snprintf(crc, sizeof crc, " %08" PRIx32 "\n", crc32c::value(body.data(), body.size()));
  return body + crc;
}

std::string line_for(uint64_t offset, uint64_t stream_seq) {
  return checked("ringest-cursor 2 " + std::to_string(offset) + " " + std::to_string(stream_seq));
}

}  // namespace

Status write_cursor(const std::filesystem::path& path, uint64_t offset, uint64_t stream_seq) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Status::invalid("cannot create " + path.parent_path().string() + ": " + ec.message());
  const std::filesystem::path tmp = path.string() + ".tmp";
  const std::string line = line_for(offset, stream_seq);
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

bool read_cursor(const std::filesystem::path& path, uint64_t& offset, uint64_t* stream_seq) {
  std::vector<uint8_t> bytes;
  if (!read_file(path, bytes, 256).ok()) return false;
  const std::string text(bytes.begin(), bytes.end());
  uint64_t value = 0, seq = 0;
  if (std::sscanf(text.c_str(), "ringest-cursor 2 %" SCNu64 " %" SCNu64, &value, &seq) == 2) {
    if (text != line_for(value, seq)) return false;
  } else if (std::sscanf(text.c_str(), "ringest-cursor 1 %" SCNu64, &value) == 1) {
    if (text != checked("ringest-cursor 1 " + std::to_string(value))) return false;
  } else {
    return false;
  }
  offset = value;
  if (stream_seq != nullptr) *stream_seq = seq;
  return true;
}

}  // namespace ringest
