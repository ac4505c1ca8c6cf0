#include "daemon/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace ringest {
namespace {

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double btime = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> btime;
      break;
    }
    in.ignore(1 << 16, '\n');
  }
  return btime;
}

}  // namespace

bool read_process_stats(ProcessStats& out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  // Fields after the command name, which may contain spaces and parentheses.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string f[24];
  for (auto& x : f) rest >> x;
  const double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / tck;
  out.start_time_seconds = boot_time_seconds() + std::stod(f[19]) / tck;
  out.virtual_bytes = std::stoull(f[20]);
  out.resident_bytes = static_cast<uint64_t>(std::stod(f[21]) * page);

  if (DIR* d = opendir("/proc/self/fd")) {
    uint64_t n = 0;
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    out.open_fds = n > 0 ? n - 1 : 0;  // not counting the directory stream itself
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) out.max_fds = rl.rlim_cur;
  return true;
}

uint64_t raise_open_file_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  return rl.rlim_cur;
}

bool read_host_udp_receive_errors(uint64_t& out) {
  // Two "Udp:" lines: the column names, then the values.
  std::ifstream in("/proc/net/snmp");
  std::string names, values, line;
  while (std::getline(in, line)) {
    if (line.rfind("Udp: ", 0) != 0) continue;
    (names.empty() ? names : values) = line;
  }
  std::istringstream n(names), v(values);
  for (std::string name, value; n >> name && v >> value;) {
    if (name != "InErrors") continue;
    out = std::stoull(value);
    return true;
  }
  return false;
}

}  // namespace ringest
