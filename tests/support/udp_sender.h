// A plain blocking UDP sender for tests, loopback only.
#pragma once

#include "tests/support/test_socket.h"

#include <cstdint>
#include <string_view>

namespace ringest::test {

class UdpSender {
 public:
  using Fd = SocketFd;
  static void close(Fd fd) { close_socket_fd(fd); }
#if defined(_WIN32)
  static constexpr int SOCK_CLOEXEC = 0;
  using ssize_t = int;
#endif
  [[no_unique_address]] WinsockStart wsa_;

 public:
  explicit UdpSender(uint16_t port, bool v6 = false) : v6_(v6) {
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (v6) {
      to6_.sin6_family = AF_INET6;
      to6_.sin6_port = htons(port);
      to6_.sin6_addr = in6addr_loopback;
    } else {
      to4_.sin_family = AF_INET;
      to4_.sin_port = htons(port);
      to4_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
  }
  ~UdpSender() { close(fd_); }
  bool send(std::string_view payload) {
    const sockaddr* to = v6_ ? reinterpret_cast<const sockaddr*>(&to6_) : reinterpret_cast<const sockaddr*>(&to4_);
    socklen_t len = v6_ ? sizeof to6_ : sizeof to4_;
    return sendto(fd_, payload.data(), static_cast<int>(payload.size()), 0, to, len) ==
           static_cast<ssize_t>(payload.size());
  }
  // The port this sender sends from (bound at the first send).
  uint16_t local_port() const {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
  }

 private:
  bool v6_;
  Fd fd_;
  sockaddr_in to4_{};
  sockaddr_in6 to6_{};
};

}  // namespace ringest::test
