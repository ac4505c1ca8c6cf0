#include "rio/linux/udp_socket.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/host_port.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#ifndef SK_MEMINFO_DROPS
#define SK_MEMINFO_DROPS 8
#endif

namespace ringest::rio::linux_udp {

Status resolve(const std::string& address, sockaddr_storage& sa, socklen_t& len) {
  HostPort hp;
  if (!split_host_port(address, hp)) return Status::invalid("bad address '" + address + "'");
  std::memset(&sa, 0, sizeof sa);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&sa);
  if (inet_pton(AF_INET, hp.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(hp.port);
    len = sizeof(sockaddr_in);
    return {};
  }
  if (inet_pton(AF_INET6, hp.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(hp.port);
    len = sizeof(sockaddr_in6);
    return {};
  }
  if (hp.host == "localhost") return resolve("127.0.0.1:" + std::to_string(hp.port), sa, len);
  return Status::invalid("bad address '" + address + "': host must be a numeric IPv4 or IPv6 address");
}

Status open_bound(const SocketSpec& spec, int& fd, BoundSocket& bound) {
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
  int granted = 0;
  socklen_t glen = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen);
  // Linux doubles the value it grants (bookkeeping overhead); compare halves.
  bound.rcvbuf_granted = static_cast<uint32_t>(granted);
  bound.rcvbuf_capped = want > 0 && granted / 2 < want;
  sockaddr_storage got;
  socklen_t got_len = sizeof got;
  getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len);
  SourceAddress local;
  to_source(reinterpret_cast<sockaddr*>(&got), local);
  bound.port = local.port;
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

void to_source(const sockaddr* sa, SourceAddress& out) {
  if (sa->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(sa);
    out.family = SourceAddress::kIPv4;
    out.port = ntohs(v4->sin_port);
    std::memcpy(out.addr, &v4->sin_addr, 4);
    std::memset(out.addr + 4, 0, 12);
  } else if (sa->sa_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(sa);
    out.family = SourceAddress::kIPv6;
    out.port = ntohs(v6->sin6_port);
    std::memcpy(out.addr, &v6->sin6_addr, 16);
  } else {
    out = SourceAddress{};
  }
}

void account_kernel_drops(SocketProbe& probe, uint32_t& last_seen, uint32_t now_seen,
                          bool pool_was_exhausted) {
  uint32_t delta = now_seen - last_seen;
  if (delta == 0 || delta > (1u << 31)) return;  // unchanged, or an older reading
  last_seen = now_seen;
  (pool_was_exhausted ? probe.kernel_drops_no_slot : probe.kernel_drops_rcvbuf).add(delta);
}

}  // namespace ringest::rio::linux_udp
