#include "rio/stream_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/socket_address.h"

namespace ringest::rio {
namespace {

int fd_of(SocketHandle s) { return static_cast<int>(s); }

}  // namespace

Status stream_listen(const std::string& address, int backlog, SocketHandle& out, uint16_t& port, bool reuse_port) {
  sockaddr_storage sa;
  socklen_t len;
  if (Status st = resolve(address, sa, len); !st) return st;
  int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(errno, "socket " + address);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (sa.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || listen(fd, backlog) != 0) {
    Status st = Status::from_errno(errno, "cannot bind " + address);
    close(fd);
    return st;
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  out = static_cast<SocketHandle>(fd);
  return {};
}

SocketHandle stream_accept(SocketHandle listener) {
  int fd = accept4(fd_of(listener), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return fd < 0 ? kNoSocket : static_cast<SocketHandle>(fd);
}

long stream_recv(SocketHandle s, char* buf, size_t len) {
  ssize_t n = recv(fd_of(s), buf, len, 0);
  if (n >= 0) return static_cast<long>(n);
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? kWouldBlock : kFailed;
}

long stream_send(SocketHandle s, const char* buf, size_t len) {
  ssize_t n = send(fd_of(s), buf, len, MSG_NOSIGNAL);
  if (n > 0) return static_cast<long>(n);
  return n == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? kWouldBlock : kFailed;
}

void socket_close(SocketHandle s) {
  if (s != kNoSocket) close(fd_of(s));
}

Status wake_socket_open(SocketHandle& out) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(errno, "wake socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&a), len) != 0) {
    Status st = Status::from_errno(errno, "wake socket");
    close(fd);
    return st;
  }
  out = static_cast<SocketHandle>(fd);
  return {};
}

void wake(SocketHandle s) {
  char b = 1;
  (void)!send(fd_of(s), &b, 1, MSG_NOSIGNAL);
}

void drain(SocketHandle s) {
  char b[64];
  while (recv(fd_of(s), b, sizeof b, 0) > 0) {
  }
}

int poll_sockets(PollItem* items, size_t n, int timeout_ms) {
  std::vector<pollfd> fds(n);
  for (size_t i = 0; i < n; ++i) {
    fds[i].fd = fd_of(items[i].socket);
    fds[i].events = static_cast<short>((items[i].want_read ? POLLIN : 0) | (items[i].want_write ? POLLOUT : 0));
  }
  int r = poll(fds.data(), n, timeout_ms);
  if (r < 0) return errno == EINTR ? 0 : -1;
  for (size_t i = 0; i < n; ++i) {
    short re = fds[i].revents;
    items[i].readable = (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
    items[i].writable = (re & (POLLOUT | POLLERR | POLLHUP)) != 0;
  }
  return r;
}

}  // namespace ringest::rio
