// A plain blocking TCP client for tests, loopback only.
#pragma once

#include "tests/support/test_socket.h"

#include <cerrno>
#include <cstdint>
#include <string_view>

namespace ringest::test {

class TcpClient {
 public:
  using Fd = SocketFd;
  static constexpr Fd kNone = kNoSocketFd;
  static void close_fd(Fd fd) { close_socket_fd(fd); }

  // Connects to 127.0.0.1:port; connected() says whether it worked.
  explicit TcpClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
#if defined(_WIN32)
    DWORD wait_ms = 5000;
#else
    timeval wait_ms{5, 0};
#endif
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&wait_ms), sizeof wait_ms);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      close_fd(fd_);
      fd_ = kNone;
    }
  }
  ~TcpClient() { close(); }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return fd_ != kNone; }
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), static_cast<int>(bytes.size()), 0);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Waits (at most 5 s) for the server's side: true when it closed the
  // connection (a read returned end of stream or a reset), false when the
  // wait ran out.
  bool closed_by_peer() {
    char b;
    auto n = recv(fd_, &b, 1, 0);
    if (n == 0) return true;
#if defined(_WIN32)
    return n < 0 && WSAGetLastError() != WSAETIMEDOUT;
#else
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
#endif
  }
  void close() {
    if (fd_ != kNone) close_fd(fd_);
    fd_ = kNone;
  }
  // The port this client connects from.
  uint16_t local_port() const {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin_port);
  }

 private:
  [[no_unique_address]] WinsockStart wsa_;
  Fd fd_;
};

}  // namespace ringest::test
