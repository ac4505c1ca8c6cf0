#include "rio/stream_socket.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <vector>

#include "common/socket_address.h"
#include "rio/windows/udp_socket.h"

namespace ringest::rio {
namespace {

SOCKET sock_of(SocketHandle s) { return static_cast<SOCKET>(s); }

bool set_nonblocking(SOCKET s) {
  u_long on = 1;
  return ioctlsocket(s, FIONBIO, &on) == 0;
}

}  // namespace

Status stream_listen(const std::string& address, int backlog, SocketHandle& out, uint16_t& port, bool) {
  if (Status st = win_udp::winsock_start(); !st) return st;
  sockaddr_storage sa;
  socklen_t len;
  if (Status st = resolve(address, sa, len); !st) return st;
  // Overlapped, so a completion-port engine can post AcceptEx on it too.
  SOCKET s = WSASocketW(sa.ss_family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return win_udp::os_status(WSAGetLastError(), "socket " + address);
  // Windows' SO_REUSEADDR would let another process take the port too: claim
  // it exclusively instead.
  BOOL on = TRUE;
  setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&on), sizeof on);
  if (sa.ss_family == AF_INET6) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, reinterpret_cast<const char*>(&on), sizeof on);
  if (bind(s, reinterpret_cast<sockaddr*>(&sa), len) != 0 || listen(s, backlog) != 0 || !set_nonblocking(s)) {
    Status st = win_udp::os_status(WSAGetLastError(), "cannot bind " + address);
    closesocket(s);
    return st;
  }
  sockaddr_storage bound{};
  int blen = sizeof bound;
  getsockname(s, reinterpret_cast<sockaddr*>(&bound), &blen);
  port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  out = static_cast<SocketHandle>(s);
  return {};
}

SocketHandle stream_accept(SocketHandle listener) {
  SOCKET s = accept(sock_of(listener), nullptr, nullptr);
  if (s == INVALID_SOCKET) return kNoSocket;
  if (!set_nonblocking(s)) {
    closesocket(s);
    return kNoSocket;
  }
  return static_cast<SocketHandle>(s);
}

long stream_recv(SocketHandle s, char* buf, size_t len) {
  int n = recv(sock_of(s), buf, static_cast<int>(len), 0);
  if (n >= 0) return n;
  return WSAGetLastError() == WSAEWOULDBLOCK ? kWouldBlock : kFailed;
}

long stream_send(SocketHandle s, const char* buf, size_t len) {
  int n = send(sock_of(s), buf, static_cast<int>(len), 0);
  if (n > 0) return n;
  return n == 0 || WSAGetLastError() == WSAEWOULDBLOCK ? kWouldBlock : kFailed;
}

void socket_close(SocketHandle s) {
  if (s != kNoSocket) closesocket(sock_of(s));
}

Status wake_socket_open(SocketHandle& out) {
  if (Status st = win_udp::winsock_start(); !st) return st;
  SOCKET s = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return win_udp::os_status(WSAGetLastError(), "wake socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof a;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 || getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
      connect(s, reinterpret_cast<sockaddr*>(&a), len) != 0 || !set_nonblocking(s)) {
    Status st = win_udp::os_status(WSAGetLastError(), "wake socket");
    closesocket(s);
    return st;
  }
  out = static_cast<SocketHandle>(s);
  return {};
}

void wake(SocketHandle s) {
  char b = 1;
  send(sock_of(s), &b, 1, 0);
}

void drain(SocketHandle s) {
  char b[64];
  while (recv(sock_of(s), b, sizeof b, 0) > 0) {
  }
}

int poll_sockets(PollItem* items, size_t n, int timeout_ms) {
  std::vector<WSAPOLLFD> fds(n);
  for (size_t i = 0; i < n; ++i) {
    fds[i].fd = sock_of(items[i].socket);
    fds[i].events = static_cast<short>((items[i].want_read ? POLLRDNORM : 0) | (items[i].want_write ? POLLWRNORM : 0));
  }
  int r = WSAPoll(fds.data(), static_cast<ULONG>(n), timeout_ms);
  if (r < 0) return -1;
  for (size_t i = 0; i < n; ++i) {
    short re = fds[i].revents;
    items[i].readable = (re & (POLLRDNORM | POLLHUP | POLLERR | POLLNVAL)) != 0;
    items[i].writable = (re & (POLLWRNORM | POLLERR | POLLHUP)) != 0;
  }
  return r;
}

}  // namespace ringest::rio
