// Win32 side of the file layer: synchronous file operations. Win32 error
// codes become Status here (and in overlapped_file.cc) and nowhere above.
#include "sinks/windows/win_file.h"

#include <algorithm>
#include <string>
#include <vector>

namespace ringest {
namespace win_io {

Status win32_status(DWORD code, const std::string& what) {
  char text[256] = {};
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code, 0, text,
                           sizeof text, nullptr);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '.')) {
    text[--n] = '\0';
  }
  std::string described = n > 0 ? std::string(text, n) : std::string("error");
  described += " (" + std::to_string(code) + ")";
  return Status::with_text(static_cast<int>(code), what, std::move(described));
}

void set_error(IoCompletion& c, DWORD err, const char* what) {
  c.status = win32_status(err, what);
  c.no_space = err == ERROR_DISK_FULL || err == ERROR_HANDLE_DISK_FULL;
}

namespace {

// One synchronous positioned transfer on a handle that may be overlapped.
DWORD transfer_at(HANDLE h, uint64_t pos, void* data, DWORD len, bool write, DWORD& done) {
  HANDLE ev = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!ev) return GetLastError();
  OVERLAPPED ov{};
  ov.Offset = static_cast<DWORD>(pos);
  ov.OffsetHigh = static_cast<DWORD>(pos >> 32);
  // The low bit keeps this completion off any completion port the handle has.
  ov.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<uintptr_t>(ev) | 1);
  BOOL ok = write ? WriteFile(h, data, len, nullptr, &ov) : ReadFile(h, data, len, nullptr, &ov);
  DWORD err = ok ? 0 : GetLastError();
  if (ok || err == ERROR_IO_PENDING) err = GetOverlappedResult(h, &ov, &done, TRUE) ? 0 : GetLastError();
  CloseHandle(ev);
  return err;
}

}  // namespace

DWORD write_all_at(HANDLE h, uint64_t pos, const uint8_t* data, size_t len) {
  while (len > 0) {
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(len, 1u << 30));
    DWORD done = 0;
    if (DWORD err = transfer_at(h, pos, const_cast<uint8_t*>(data), chunk, true, done)) return err;
    if (done == 0) return ERROR_WRITE_FAULT;  // no progress and no error: give up rather than spin
    data += done;
    len -= done;
    pos += done;
  }
  return 0;
}

}  // namespace win_io

using win_io::handle_of;
using win_io::win32_status;

Status open_file(const std::filesystem::path& path, OpenMode mode, FileHandle& out, Caching caching) {
  // Unbuffered: sector-aligned writes that bypass the system cache.
  const DWORD flags = FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OVERLAPPED |
                      (caching == Caching::kDirect ? FILE_FLAG_NO_BUFFERING : 0);
  DWORD disposition = mode == OpenMode::kCreateNew   ? CREATE_NEW
                      : mode == OpenMode::kReadWrite ? OPEN_EXISTING
                                                     : CREATE_ALWAYS;
  auto open = [&] {
    return CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, disposition,
                       flags, nullptr);
  };
  HANDLE h = open();
  if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED && mode == OpenMode::kReadWrite &&
      SetFileAttributesW(path.c_str(), FILE_ATTRIBUTE_NORMAL)) {
    h = open();  // a sealed segment recovery has to cut
  }
  if (h == INVALID_HANDLE_VALUE) {
    return win32_status(GetLastError(),
                        std::string(mode == OpenMode::kReadWrite ? "open " : "create ") + path.string());
  }
  out.native = reinterpret_cast<intptr_t>(h);
  return Status();
}

Status close_file(FileHandle& f) {
  if (!f.valid()) return Status();
  HANDLE h = handle_of(f);
  f.native = -1;
  if (!CloseHandle(h)) return win32_status(GetLastError(), "close segment");
  return Status();
}

Status file_size(FileHandle f, uint64_t& size) {
  LARGE_INTEGER n;
  if (!GetFileSizeEx(handle_of(f), &n)) return win32_status(GetLastError(), "size of segment");
  size = static_cast<uint64_t>(n.QuadPart);
  return Status();
}

Status truncate_file(FileHandle f, uint64_t size) {
  FILE_END_OF_FILE_INFO eof{};
  eof.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  if (!SetFileInformationByHandle(handle_of(f), FileEndOfFileInfo, &eof, sizeof eof)) {
    return win32_status(GetLastError(), "truncate segment");
  }
  return Status();
}

Status write_file_at(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes) {
  if (DWORD err = win_io::write_all_at(handle_of(f), pos, bytes.data(), bytes.size())) {
    return win32_status(err, "write segment");
  }
  return Status();
}

Status datasync_file(FileHandle f) {
  if (!FlushFileBuffers(handle_of(f))) return win32_status(GetLastError(), "FlushFileBuffers segment");
  return Status();
}

Status preallocate_file(FileHandle f, uint64_t pos, uint64_t len) {
  if (len == 0) return Status();
  FILE_STANDARD_INFO now{};
  if (GetFileInformationByHandleEx(handle_of(f), FileStandardInfo, &now, sizeof now) &&
      static_cast<uint64_t>(now.AllocationSize.QuadPart) >= pos + len) {
    return Status();
  }
  // Reserves clusters without moving the end of file (the KEEP_SIZE of fallocate).
  FILE_ALLOCATION_INFO want{};
  want.AllocationSize.QuadPart = static_cast<LONGLONG>(pos + len);
  if (!SetFileInformationByHandle(handle_of(f), FileAllocationInfo, &want, sizeof want)) {
    DWORD err = GetLastError();
    // A file system (or Wine) that can't reserve just allocates as the appends
    // come; an unknown information class reads as an invalid parameter.
    if (err != ERROR_INVALID_FUNCTION && err != ERROR_NOT_SUPPORTED && err != ERROR_CALL_NOT_IMPLEMENTED &&
        err != ERROR_INVALID_PARAMETER) {
      return win32_status(err, "preallocate segment");
    }
  }
  return Status();
}

Status remove_file(const std::filesystem::path& path) {
  if (!DeleteFileW(path.c_str())) {
    DWORD err = GetLastError();
    // A sealed (read-only) segment: retention may still delete it.
    if (err != ERROR_ACCESS_DENIED || !SetFileAttributesW(path.c_str(), FILE_ATTRIBUTE_NORMAL) ||
        !DeleteFileW(path.c_str())) {
      return win32_status(err, "remove " + path.string());
    }
  }
  return Status();
}

Status rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (!MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return win32_status(GetLastError(), "rename " + from.string());
  }
  return Status();
}

Status read_file(const std::filesystem::path& path, std::vector<uint8_t>& out, size_t limit, uint64_t offset) {
  out.clear();
  HANDLE h = CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return win32_status(GetLastError(), "open " + path.string());
  Status st;
  LARGE_INTEGER size;
  if (!GetFileSizeEx(h, &size)) {
    st = win32_status(GetLastError(), "size of " + path.string());
  } else {
    auto total = static_cast<uint64_t>(size.QuadPart);
    out.resize(std::min<uint64_t>(total - std::min(total, offset), limit));
    size_t got = 0;
    while (got < out.size()) {
      DWORD n = 0;
      DWORD want = static_cast<DWORD>(std::min<size_t>(out.size() - got, 1u << 30));
      OVERLAPPED at{};  // a synchronous handle: the position to read from
      at.Offset = static_cast<DWORD>(offset + got);
      at.OffsetHigh = static_cast<DWORD>((offset + got) >> 32);
      if (!ReadFile(h, out.data() + got, want, &n, &at)) {
        if (GetLastError() == ERROR_HANDLE_EOF) break;  // shrank while we read
        st = win32_status(GetLastError(), "read " + path.string());
        break;
      }
      if (n == 0) break;  // shrank while we read: keep what is there
      got += n;
    }
    out.resize(got);
  }
  CloseHandle(h);
  return st;
}

Status datasync_path(const std::filesystem::path& path) {
  // FlushFileBuffers wants a handle with write access; nothing is written
  // through it, and every sharing mode is granted so the daemon appending to
  // the file is not disturbed. A sealed segment is read-only: the daemon
  // flushed it before sealing, so there is nothing left to make durable.
  HANDLE h = CreateFileW(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD err = GetLastError();
    const DWORD attrs = GetFileAttributesW(path.c_str());
    if (err == ERROR_ACCESS_DENIED && attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_READONLY))
      return Status();
    return win32_status(err, "open " + path.string());
  }
  Status st;
  if (!FlushFileBuffers(h)) st = win32_status(GetLastError(), "FlushFileBuffers " + path.string());
  CloseHandle(h);
  return st;
}

Status make_read_only(const std::filesystem::path& path) {
  if (!SetFileAttributesW(path.c_str(), FILE_ATTRIBUTE_READONLY)) {
    return win32_status(GetLastError(), "make read-only " + path.string());
  }
  return Status();
}

bool is_no_space(const Status& st) {
  return st.code() == ERROR_DISK_FULL || st.code() == ERROR_HANDLE_DISK_FULL;
}

Status sync_directory(const std::filesystem::path& dir) {
  // NTFS journals its metadata: an entry created or renamed with write-through
  // (rename_file) is durable without flushing the directory, which Windows
  // allows only to administrators. Flushing is tried, and not required.
  HANDLE h = CreateFileW(dir.c_str(), GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD err = GetLastError();
    if (err == ERROR_ACCESS_DENIED) return Status();
    return win32_status(err, "open directory " + dir.string());
  }
  FlushFileBuffers(h);
  CloseHandle(h);
  return Status();
}

}  // namespace ringest
