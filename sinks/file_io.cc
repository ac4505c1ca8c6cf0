// FileIo's synchronous operations: by default the platform's free functions.
#include "sinks/file_layer.h"

namespace ringest {

Status FileIo::open(const std::filesystem::path& path, OpenMode mode, FileHandle& out) {
  return open_file(path, mode, out);
}
Status FileIo::open_direct(const std::filesystem::path& path, OpenMode mode, FileHandle& out) {
  return open_file(path, mode, out, Caching::kDirect);
}
Status FileIo::close(FileHandle& f) {
  return close_file(f);
}
Status FileIo::truncate(FileHandle f, uint64_t size) {
  return truncate_file(f, size);
}
Status FileIo::write_at(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes) {
  return write_file_at(f, pos, bytes);
}
Status FileIo::datasync(FileHandle f) {
  return datasync_file(f);
}
Status FileIo::preallocate(FileHandle f, uint64_t pos, uint64_t len) {
  return preallocate_file(f, pos, len);
}
Status FileIo::sync_dir(const std::filesystem::path& dir) {
  return sync_directory(dir);
}
Status FileIo::remove(const std::filesystem::path& path) {
  return remove_file(path);
}
Status FileIo::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  return rename_file(from, to);
}
Status FileIo::read_all(const std::filesystem::path& path, std::vector<uint8_t>& out) {
  return read_file(path, out);
}
Status FileIo::read_head(const std::filesystem::path& path, size_t n, std::vector<uint8_t>& out) {
  return read_file(path, out, n);
}
Status FileIo::read_at(const std::filesystem::path& path, uint64_t pos, size_t n, std::vector<uint8_t>& out) {
  return read_file(path, out, n, pos);
}

}  // namespace ringest
