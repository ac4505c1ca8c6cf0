// ProcessStats on Windows: GetProcessTimes, GetProcessMemoryInfo and the
// handle count (a process's open handles are what file descriptors are on
// Linux; Windows sets no per-process limit short of 2^24, so max_fds stays 0).
#include <windows.h>
// psapi.h and iphlpapi.h need windows.h first.
#include <iphlpapi.h>
#include <psapi.h>
#include <winsock2.h>

#include "daemon/process_stats.h"

namespace ringest {
namespace {

constexpr double kTicksPerSecond = 10'000'000.0;               // FILETIME: 100 ns units
constexpr uint64_t kEpochDifferenceTicks = 116'444'736'000'000'000ULL;  // 1601 -> 1970

uint64_t ticks(const FILETIME& t) { return (uint64_t(t.dwHighDateTime) << 32) | t.dwLowDateTime; }

}  // namespace

bool read_process_stats(ProcessStats& out) {
  HANDLE self = GetCurrentProcess();
  FILETIME created, exited, kernel, user;
  bool ok = GetProcessTimes(self, &created, &exited, &kernel, &user) != 0;
  if (ok) {
    out.cpu_seconds = double(ticks(kernel) + ticks(user)) / kTicksPerSecond;
    out.start_time_seconds = double(ticks(created) - kEpochDifferenceTicks) / kTicksPerSecond;
  }
  PROCESS_MEMORY_COUNTERS_EX memory{};
  memory.cb = sizeof memory;
  if (GetProcessMemoryInfo(self, reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&memory), sizeof memory)) {
    out.resident_bytes = memory.WorkingSetSize;
    out.virtual_bytes = memory.PrivateUsage;
  } else {
    ok = false;
  }
  DWORD handles = 0;
  if (GetProcessHandleCount(self, &handles)) out.open_fds = handles;
  return ok;
}

bool read_host_udp_receive_errors(uint64_t& out) {
  MIB_UDPSTATS v4{}, v6{};
  if (GetUdpStatistics(&v4) != NO_ERROR) return false;
  out = v4.dwInErrors;
  if (GetUdpStatisticsEx(&v6, AF_INET6) == NO_ERROR) out += v6.dwInErrors;
  return true;
}

uint64_t raise_open_file_limit() { return 0; }

}  // namespace ringest
