// The ceiling for the ingest benchmark: the least a receiver can do — one
// socket, recvmmsg in batches of 64 into a fixed buffer, count, nothing else.
// Exits after --idle-ms without a datagram (once at least one arrived) and
// prints {"port":…} at start, then {"received":N,"cpu_ns":…} at the end.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {
long long cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1'000'000'000LL +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}
}  // namespace

int main(int argc, char** argv) {
  int idle_ms = argc > 1 ? std::atoi(argv[1]) : 1000;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 1;
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::printf("{\"port\":%u}\n", ntohs(a.sin_port));
  std::fflush(stdout);

  constexpr int kBatch = 64, kSlot = 2048;
  std::vector<char> buf(kBatch * kSlot);
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  unsigned long long received = 0;
  long long cpu0 = cpu_ns();
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, received ? idle_ms : 60000);
    if (r <= 0) break;
    for (;;) {
      for (int i = 0; i < kBatch; ++i) {
        iov[i] = {&buf[i * kSlot], kSlot};
        std::memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      received += static_cast<unsigned>(n);
    }
  }
  std::printf("{\"received\":%llu,\"cpu_ns\":%lld}\n", received, cpu_ns() - cpu0);
  return 0;
}
