// Internal to sinks/windows/: Win32 errors as Status, and the positioned
// synchronous write the blocking paths share. Every file is opened with
// FILE_FLAG_OVERLAPPED so the asynchronous backend can use it; synchronous
// operations on it wait for their own OVERLAPPED (its event tagged so the
// completion never reaches a completion port).
#pragma once

#include <windows.h>

#include <cstdint>
#include <string>

#include "sinks/file_layer.h"

namespace ringest::win_io {

// A Win32 error code as a Status naming `what`, with the system's text.
Status win32_status(DWORD code, const std::string& what);
// Win32 error -> IoCompletion fields (no_space for a full disk).
void set_error(IoCompletion& c, DWORD err, const char* what);

inline HANDLE handle_of(FileHandle f) {
  return reinterpret_cast<HANDLE>(f.native);
}

// Writes all of data[0, len) at `pos`, waiting. Returns 0 or a Win32 error.
DWORD write_all_at(HANDLE h, uint64_t pos, const uint8_t* data, size_t len);

}  // namespace ringest::win_io
