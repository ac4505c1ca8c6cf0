// The file layer under the segment log: asynchronous appends and syncs, plus
// the few synchronous file operations recovery and rotation need. OS error
// numbers become Status here and nowhere above; no io_uring or Win32 name
// appears outside the platform files (sinks/linux/, later sinks/windows/).
//
// Threading: a FileIo belongs to one thread (the partition's shard). The free
// functions are thread-safe as the OS calls under them are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"

namespace ringest {

// An open file as the platform knows it (a descriptor on POSIX).
struct FileHandle {
  intptr_t native = -1;
  bool valid() const { return native >= 0; }
};

enum class IoOp : uint8_t { kWrite, kDatasync };

enum class OpenMode : uint8_t {
  kCreateNew,         // create; fail if it exists
  kReadWrite,         // open an existing file for writing (a read-only one is made writable)
  kCreateOrTruncate,  // create or empty an existing file (index files)
};

// Whether writes go through the page cache or straight to the device
// (O_DIRECT, FILE_FLAG_NO_BUFFERING). With kDirect every write's position,
// length and buffer address are multiples of kDirectAlign, and a file system
// that can't do it refuses the open or the write (EINVAL).
enum class Caching : uint8_t { kPageCache, kDirect };
// Accepted by every device with logical blocks of 4096 bytes or less, and by
// Windows' sector alignment rule.
inline constexpr size_t kDirectAlign = 4096;

struct IoCompletion {
  uint64_t tag = 0;  // what the submitter passed
  IoOp op = IoOp::kWrite;
  Status status;          // ok: a write wrote every byte, a datasync finished
  bool no_space = false;  // the error was "disk full" (ENOSPC, EDQUOT)
};

class FileIo {
 public:
  // The best backend that works here: io_uring when the kernel lets this process
  // set up a ring that can write and fsync, else blocking pwrite/fdatasync behind
  // the same interface (a completion is then ready as soon as submit returns).
  // `max_ops` bounds the operations outstanding at once. Never returns null.
  static std::unique_ptr<FileIo> create(uint32_t max_ops);

  // Waits for anything still outstanding (the kernel may still be reading the
  // buffers), so owners drain first and this never has work to do.
  virtual ~FileIo() = default;

  // "io_uring" or "pwrite": for the log line that says which one runs.
  virtual const char* backend() const = 0;

  // Offers the buffers writes will come from, replacing what was offered
  // before. A backend that can pin them (io_uring's registered buffers) then
  // writes from them without mapping the pages on every write; others ignore
  // the offer. Returns whether it took them. Call it again whenever one of
  // them is reallocated, before writing from the new memory.
  virtual bool register_buffers(std::span<const std::span<uint8_t>> /*buffers*/) { return false; }

  // Starts writing data[0, len) at byte `pos` of `f`. The bytes must stay put
  // until the completion for `tag` is reaped. A short write is continued here;
  // the completion says all of it was written, or why not. Fails without
  // starting anything if max_ops operations are already outstanding.
  virtual Status submit_write(FileHandle f, uint64_t pos, const uint8_t* data, size_t len, uint64_t tag) = 0;
  // Starts an fdatasync of `f` that begins only after every operation submitted
  // before it has finished.
  virtual Status submit_datasync(FileHandle f, uint64_t tag) = 0;

  // Moves finished operations into `out`, at most out.size(). With `wait`, blocks
  // until at least one finishes (returns 0 at once if nothing is outstanding).
  virtual size_t reap(std::span<IoCompletion> out, bool wait) = 0;
  virtual uint32_t outstanding() const = 0;

  // The synchronous operations the log makes, through the same object so a test
  // layer can fail them or forget them in a simulated crash. The defaults call
  // the free functions below; platform backends do not override them.
  virtual Status open(const std::filesystem::path& path, OpenMode mode, FileHandle& out);
  // open() with Caching::kDirect.
  virtual Status open_direct(const std::filesystem::path& path, OpenMode mode, FileHandle& out);
  virtual Status close(FileHandle& f);
  virtual Status truncate(FileHandle f, uint64_t size);
  virtual Status write_at(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes);
  virtual Status datasync(FileHandle f);
  // Reserves [pos, pos + len) of `f` without changing its size (fallocate with
  // KEEP_SIZE where the file system has it; a no-op where it has not).
  virtual Status preallocate(FileHandle f, uint64_t pos, uint64_t len);
  virtual Status sync_dir(const std::filesystem::path& dir);
  virtual Status remove(const std::filesystem::path& path);
  // Replaces `to` with `from` (rename(2): atomic, durable after sync_dir).
  virtual Status rename(const std::filesystem::path& from, const std::filesystem::path& to);
  virtual Status read_all(const std::filesystem::path& path, std::vector<uint8_t>& out);
  // The first `n` bytes (fewer if the file is shorter).
  virtual Status read_head(const std::filesystem::path& path, size_t n, std::vector<uint8_t>& out);
  // Bytes [pos, pos + n) (fewer if the file is shorter).
  virtual Status read_at(const std::filesystem::path& path, uint64_t pos, size_t n, std::vector<uint8_t>& out);
};

// Synchronous operations. Each returns a Status naming the operation and path.
Status open_file(const std::filesystem::path& path, OpenMode mode, FileHandle& out,
                 Caching caching = Caching::kPageCache);
Status close_file(FileHandle& f);  // leaves `f` invalid
Status file_size(FileHandle f, uint64_t& size);
Status truncate_file(FileHandle f, uint64_t size);
Status write_file_at(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes);
Status datasync_file(FileHandle f);
Status preallocate_file(FileHandle f, uint64_t pos, uint64_t len);
Status remove_file(const std::filesystem::path& path);
Status rename_file(const std::filesystem::path& from, const std::filesystem::path& to);
// Reads the whole file into `out` (replacing what it held), or only `limit`
// bytes of it from byte `offset` on.
Status read_file(const std::filesystem::path& path, std::vector<uint8_t>& out, size_t limit = SIZE_MAX,
                 uint64_t offset = 0);
// Makes a file created or renamed in `dir` durable as an entry of `dir`.
Status sync_directory(const std::filesystem::path& dir);
// Makes what was written to the file so far durable, through a read-only
// descriptor (for tools that must not write to the log). Windows flushes only
// through a handle opened for writing: there the caller needs write access to
// the file (nothing is written through it); a sealed, read-only segment is
// durable already and succeeds as is.
Status datasync_path(const std::filesystem::path& path);
// Takes write permission away (a sealed segment); best effort.
Status make_read_only(const std::filesystem::path& path);
// Whether a Status from this layer means "disk full" (ENOSPC, EDQUOT).
bool is_no_space(const Status& st);

}  // namespace ringest
