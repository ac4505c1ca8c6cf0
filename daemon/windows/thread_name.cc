#include "daemon/thread_name.h"

#include <windows.h>

#include <string>

namespace ringest {

void name_this_thread(const std::string& name) {
  // SetThreadDescription exists from Windows 10 1607 on: looked up, so the
  // daemon still runs where it is missing (and under Wine).
  using SetDescription = HRESULT(WINAPI*)(HANDLE, PCWSTR);
  static const auto set = reinterpret_cast<SetDescription>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "SetThreadDescription")));
  if (set == nullptr) return;
  const std::wstring wide(name.begin(), name.end());  // ASCII names only
  set(GetCurrentThread(), wide.c_str());
}

}  // namespace ringest
