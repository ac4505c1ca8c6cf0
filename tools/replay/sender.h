// Sends queued UDP datagrams with sendmmsg, from unconnected sockets (opened
// on first use, `sockets` per address family, taking turns batch by batch —
// several source ports, as several senders would be), so datagrams for
// different targets share a batch. Payloads are copied into the sender when queued: the
// capture reader's buffer is reused for the next frame.
//
// Single-threaded.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace ringest::replay {

struct Target {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

class Sender {
 public:
  explicit Sender(uint32_t batch, uint32_t sockets = 1)
      : batch_(batch), fd4_(sockets ? sockets : 1, -1), fd6_(sockets ? sockets : 1, -1) {}
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Queues one datagram; false when the batch is full (flush first).
  bool add(const Target& to, std::span<const uint8_t> payload);
  size_t pending() const { return msgs_.size(); }
  bool full() const { return msgs_.size() >= batch_; }

  // Sends everything queued. A full local queue (ENOBUFS/EAGAIN) is retried;
  // a datagram the kernel refuses outright (EMSGSIZE, an unreachable
  // address) is counted in send_errors() and not retried. A socket that
  // cannot be opened is an error.
  Status flush();

  uint64_t sent() const { return sent_; }
  uint64_t sent_bytes() const { return sent_bytes_; }
  uint64_t send_errors() const { return errors_; }
  uint64_t retries() const { return retries_; }

 private:
  Status socket_for(int family, int& fd);

  uint32_t batch_;
  std::vector<int> fd4_, fd6_;
  size_t turn_ = 0;
  std::vector<uint8_t> arena_;
  std::vector<std::pair<size_t, size_t>> spans_;  // offset, length in arena_
  std::vector<Target> targets_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iov_;
  uint64_t sent_ = 0, sent_bytes_ = 0, errors_ = 0, retries_ = 0;
};

}  // namespace ringest::replay
