// A loopback UDP receiver for replay tests: bound to 127.0.0.1 on an
// ephemeral port, with a receive buffer big enough for a test's burst.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tools/replay/sender.h"

namespace ringest::test {

class UdpReceiver {
 public:
  UdpReceiver() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rcvbuf = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~UdpReceiver() { close(fd_); }
  uint16_t port() const { return port_; }

  replay::Target target() const {
    replay::Target t;
    auto* a = reinterpret_cast<sockaddr_in*>(&t.addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port_);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    t.len = sizeof(sockaddr_in);
    return t;
  }

  // Everything that arrives until `quiet_ms` pass without a datagram.
  std::vector<std::string> drain(int quiet_ms = 300) {
    std::vector<std::string> out;
    std::vector<char> buf(65536);
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, quiet_ms) == 1) {
      const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0) break;
      out.emplace_back(buf.data(), size_t(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace ringest::test
