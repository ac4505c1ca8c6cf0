#include "rio/linux/udp_socket.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/socket_address.h"
#include "rio/linux/unix_socket.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#ifndef SK_MEMINFO_DROPS
#define SK_MEMINFO_DROPS 8
#endif

namespace ringest::rio::linux_udp {

void read_back(int fd, int want, BoundSocket& bound) {
  int granted = 0;
  socklen_t glen = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen);
  // Linux doubles the value it grants (bookkeeping overhead): half is what
  // compares with what was asked.
  bound.rcvbuf_granted = static_cast<uint32_t>(granted / 2);
  bound.rcvbuf_capped = want > 0 && granted / 2 < want;
  sockaddr_storage got;
  socklen_t got_len = sizeof got;
  getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len);
  SourceAddress local;
  to_source(reinterpret_cast<sockaddr*>(&got), local);
  bound.port = local.port;
}

Status open_bound(const SocketSpec& spec, int& fd, BoundSocket& bound) {
  if (spec.take_over >= 0) return share(spec, fd, bound);
  if (std::string path; unix_socket_path(spec.address, path)) return open_unix_bound(spec, path, fd, bound);
  sockaddr_storage sa;
  socklen_t len;
  if (Status st = resolve(spec.address, sa, len); !st) return st;
  fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(errno, "socket");
  int one = 1;
  auto fail = [&](const char* what) {
    Status st = Status::from_errno(errno, std::string(what) + " " + spec.address);
    close(fd);
    fd = -1;
    return st;
  };
  if (spec.reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return fail("SO_REUSEPORT");
  int want = static_cast<int>(spec.rcvbuf_bytes);
  if (want > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) != 0) return fail("SO_RCVBUF");
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0) return fail("SO_RXQ_OVFL");
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) return fail("bind");
  read_back(fd, want, bound);
  return {};
}

Status share(const SocketSpec& spec, int& fd, BoundSocket& bound) {
  // A second descriptor of the same socket: its queue, port and drop counter
  // carry on; nothing is rebound, so no datagram finds the port closed.
  fd = fcntl(static_cast<int>(spec.take_over), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(errno, "take over the socket of " + spec.address);
  auto fail = [&](const char* what) {
    Status st = Status::from_errno(errno, std::string(what) + " " + spec.address);
    close(fd);
    fd = -1;
    return st;
  };
  int want = static_cast<int>(spec.rcvbuf_bytes);
  if (want > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) != 0) return fail("SO_RCVBUF");
  // SO_REUSEPORT as the new listener wants it: set, further sockets can join
  // the port (the kernel checks the flag when they bind); cleared, a listener
  // down to one socket no longer lets others in.
  // (Unix sockets have no ports to share.)
  int flag = spec.reuse_port ? 1 : 0;
  if (std::string path; unix_socket_path(spec.address, path)) {
    if (Status st = set_unix_owner(path, spec); !st) {
      close(fd);
      fd = -1;
      return st;
    }
  } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &flag, sizeof flag) != 0) {
    return fail("SO_REUSEPORT");
  }
  read_back(fd, want, bound);
  return {};
}

uint64_t kernel_drops(int fd) {
  uint32_t info[16] = {};
  socklen_t len = sizeof info;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &len) != 0 || len <= SK_MEMINFO_DROPS * 4) return 0;
  return info[SK_MEMINFO_DROPS];
}

uint32_t queued_bytes(int fd) {
  int n = 0;
  if (ioctl(fd, SIOCINQ, &n) != 0) return 0;
  return static_cast<uint32_t>(n);
}

void account_kernel_drops(SocketProbe& probe, uint32_t& last_seen, uint32_t now_seen,
                          bool pool_was_exhausted) {
  uint32_t delta = now_seen - last_seen;
  if (delta == 0 || delta > (1u << 31)) return;  // unchanged, or an older reading
  last_seen = now_seen;
  (pool_was_exhausted ? probe.kernel_drops_no_slot : probe.kernel_drops_rcvbuf).add(delta);
}

}  // namespace ringest::rio::linux_udp
