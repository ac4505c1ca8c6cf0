// What the tests' plain blocking sockets (udp_sender.h, tcp_client.h) share:
// the platform's socket headers, its descriptor type, closing one, and
// starting Winsock where there is one.
#pragma once

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace ringest::test {

#if defined(_WIN32)
using SocketFd = SOCKET;
inline constexpr SocketFd kNoSocketFd = INVALID_SOCKET;
inline void close_socket_fd(SocketFd fd) { closesocket(fd); }
// Held by every test socket: Winsock is started before its first call.
struct WinsockStart {
  WinsockStart() {
    WSADATA d;
    WSAStartup(MAKEWORD(2, 2), &d);
  }
};
#else
using SocketFd = int;
inline constexpr SocketFd kNoSocketFd = -1;
inline void close_socket_fd(SocketFd fd) { ::close(fd); }
struct WinsockStart {};
#endif

}  // namespace ringest::test
