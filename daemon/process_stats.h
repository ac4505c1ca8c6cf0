// The process's own resource use, for the standard process_* metrics.
// Implemented per OS (daemon/linux/process_stats.cc, daemon/windows/process_stats.cc).
#pragma once

#include <cstdint>

namespace ringest {

struct ProcessStats {
  double cpu_seconds = 0;        // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// False if the OS could not be asked; fields it could not fill stay 0.
bool read_process_stats(ProcessStats& out);

// UDP datagrams the host's network stack dropped on receive, every socket
// together (Linux: Udp InErrors of /proc/net/snmp; Windows: dwInErrors of
// GetUdpStatistics, IPv4 and IPv6). On Windows, which keeps no per-socket
// count, this is the only sign of datagrams lost before ringest saw them.
// False if the OS could not be asked.
bool read_host_udp_receive_errors(uint64_t& out);

// Raises the soft limit on open descriptors to the hard one, as daemons
// holding many connections do (every TCP connection is a descriptor; the
// usual soft limit, 1024, is max_connections' default). Returns the limit
// now, or 0 where there is none to raise (Windows).
uint64_t raise_open_file_limit();

}  // namespace ringest
