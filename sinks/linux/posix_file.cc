// POSIX side of the file layer: synchronous file operations and the blocking
// FileIo backend.
#include "sinks/linux/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

namespace ringest {
namespace {

Status os_error(const char* op, const std::filesystem::path& path) {
  return Status::from_errno(errno, std::string(op) + " " + path.string());
}

Status os_error(const char* op) {
  return Status::from_errno(errno, op);
}

int fd_of(FileHandle f) {
  return static_cast<int>(f.native);
}

// Writes all of `bytes` at `pos`, continuing short writes. Returns 0 or errno.
int pwrite_all(int fd, uint64_t pos, const uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::pwrite(fd, data, len, static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // no progress and no error: give up rather than spin
    data += n;
    len -= static_cast<size_t>(n);
    pos += static_cast<uint64_t>(n);
  }
  return 0;
}

}  // namespace

namespace linux_io {

void set_error(IoCompletion& c, int err, const char* what) {
  c.status = Status::from_errno(err, what);
  c.no_space = err == ENOSPC || err == EDQUOT;
}

namespace {

class BlockingFileIo final : public FileIo {
 public:
  const char* backend() const override { return "pwrite"; }

  Status submit_write(FileHandle f, uint64_t pos, const uint8_t* data, size_t len, uint64_t tag) override {
    IoCompletion c;
    c.tag = tag;
    c.op = IoOp::kWrite;
    if (int err = pwrite_all(fd_of(f), pos, data, len)) set_error(c, err, "write segment");
    done_.push_back(std::move(c));
    return Status();
  }

  Status submit_datasync(FileHandle f, uint64_t tag) override {
    IoCompletion c;
    c.tag = tag;
    c.op = IoOp::kDatasync;
    if (::fdatasync(fd_of(f)) != 0) set_error(c, errno, "fdatasync segment");
    done_.push_back(std::move(c));
    return Status();
  }

  size_t reap(std::span<IoCompletion> out, bool /*wait*/) override {
    size_t n = std::min(out.size(), done_.size());
    for (size_t i = 0; i < n; ++i) out[i] = std::move(done_[i]);
    done_.erase(done_.begin(), done_.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }

  uint32_t outstanding() const override { return static_cast<uint32_t>(done_.size()); }

 private:
  std::vector<IoCompletion> done_;  // finished in submit, waiting to be reaped
};

}  // namespace

std::unique_ptr<FileIo> make_blocking_file_io() {
  return std::make_unique<BlockingFileIo>();
}

}  // namespace linux_io

Status open_file(const std::filesystem::path& path, OpenMode mode, FileHandle& out, Caching caching) {
  int flags = O_WRONLY | O_CLOEXEC;
  if (caching == Caching::kDirect) flags |= O_DIRECT;
  if (mode == OpenMode::kCreateNew) flags |= O_CREAT | O_EXCL;
  if (mode == OpenMode::kCreateOrTruncate) flags |= O_CREAT | O_TRUNC;
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0 && errno == EACCES && mode == OpenMode::kReadWrite && ::chmod(path.c_str(), 0644) == 0) {
    fd = ::open(path.c_str(), flags);  // a sealed segment recovery has to cut
  }
  if (fd < 0) return os_error(mode == OpenMode::kReadWrite ? "open" : "create", path);
  out.native = fd;
  return Status();
}

Status close_file(FileHandle& f) {
  if (!f.valid()) return Status();
  int fd = fd_of(f);
  f.native = -1;
  // No retry on EINTR: on Linux the descriptor is gone either way.
  if (::close(fd) != 0 && errno != EINTR) return os_error("close segment");
  return Status();
}

Status file_size(FileHandle f, uint64_t& size) {
  struct stat st;
  if (::fstat(fd_of(f), &st) != 0) return os_error("fstat segment");
  size = static_cast<uint64_t>(st.st_size);
  return Status();
}

Status truncate_file(FileHandle f, uint64_t size) {
  while (::ftruncate(fd_of(f), static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) return os_error("truncate segment");
  }
  return Status();
}

Status write_file_at(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes) {
  if (int err = pwrite_all(fd_of(f), pos, bytes.data(), bytes.size())) {
    return Status::from_errno(err, "write segment");
  }
  return Status();
}

Status datasync_file(FileHandle f) {
  if (::fdatasync(fd_of(f)) != 0) return os_error("fdatasync segment");
  return Status();
}

Status preallocate_file(FileHandle f, uint64_t pos, uint64_t len) {
  if (len == 0) return Status();
  int r;
  do {
    r = ::fallocate(fd_of(f), FALLOC_FL_KEEP_SIZE, static_cast<off_t>(pos), static_cast<off_t>(len));
  } while (r != 0 && errno == EINTR);
  // A file system without fallocate just allocates as the appends come.
  if (r != 0 && errno != EOPNOTSUPP && errno != ENOSYS) return os_error("fallocate segment");
  return Status();
}

Status remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0) return os_error("remove", path);
  return Status();
}

Status rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return os_error("rename", from);
  return Status();
}

Status read_file(const std::filesystem::path& path, std::vector<uint8_t>& out, size_t limit, uint64_t offset) {
  out.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("open", path);
  Status st;
  struct stat sb;
  if (::fstat(fd, &sb) != 0) {
    st = os_error("fstat", path);
  } else {
    uint64_t size = static_cast<uint64_t>(sb.st_size);
    out.resize(std::min<uint64_t>(size - std::min(size, offset), limit));
    size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        st = os_error("read", path);
        break;
      }
      if (n == 0) break;  // shrank while we read: keep what is there
      got += static_cast<size_t>(n);
    }
    out.resize(got);
  }
  ::close(fd);
  return st;
}

Status datasync_path(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("open", path);
  Status st;
  if (::fdatasync(fd) != 0) st = os_error("fdatasync", path);
  ::close(fd);
  return st;
}

Status make_read_only(const std::filesystem::path& path) {
  if (::chmod(path.c_str(), 0444) != 0) return os_error("chmod", path);
  return Status();
}

bool is_no_space(const Status& st) {
  return st.code() == ENOSPC || st.code() == EDQUOT;
}

Status sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("open directory", dir);
  Status st;
  if (::fsync(fd) != 0) st = os_error("fsync directory", dir);
  ::close(fd);
  return st;
}

}  // namespace ringest
