// RecvmmsgEngine: the portable Linux fallback for kernels (or sandboxes)
// without io_uring. poll() waits for readability, then recvmmsg() fills up to
// one batch of free slots per socket; only the count the call returns is
// trusted. Below saturation a wakeup per datagram would cost more than the
// datagram: after a harvest that did not fill a batch, the engine lets the
// next datagrams gather for up to 2 ms before it reads again (the
// io_uring engine waits the same way, for a count or a timeout).
#pragma once

#include <sys/socket.h>

#include <vector>

#include "rio/engine.h"
#include "rio/linux/socket_set.h"

namespace ringest::rio {

class RecvmmsgEngine final : public Engine {
 public:
  explicit RecvmmsgEngine(const EngineOptions& opts);

  EngineKind kind() const override { return EngineKind::kRecvmmsg; }
  bool counts_kernel_drops() const override { return true; }
  Status add_socket(const SocketSpec& spec, BoundSocket& bound) override;
  Status start() override;
  uint32_t poll(DatagramHandler& handler, int timeout_ms) override;
  void release(std::span<const uint32_t> slots) override;
  bool sockets_empty() override { return socks_.all_empty(); }
  void discard_and_close() override { socks_.discard_queued_and_close(); }
  int64_t socket_handle(uint16_t i) const override { return socks_.fd(i); }
  // Nothing is in flight between polls: the descriptors just close.
  void hand_over(DatagramHandler&) override { socks_.hand_over(); }

  BufferPool& pool() override { return pool_; }
  const EngineProbe& probe() const override { return probe_; }
  std::span<const SocketProbe> sockets() const override { return socks_.probes(); }

 private:
  void receive_from(uint16_t sock, int64_t now_ns);

  EngineOptions opts_;
  BufferPool pool_;
  linux_udp::SocketSet socks_;
  std::vector<uint32_t> free_;  // slots the engine may fill
  std::vector<uint32_t> out_;
  // One batch of receive descriptors, pointed at free slots before each call.
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iov_;
  std::vector<uint32_t> chosen_;  // the slot behind each descriptor
  std::vector<sockaddr_storage> names_;
  std::vector<char> control_;
  EngineProbe probe_;
  bool busy_ = false;    // the last harvest found datagrams: read again without poll()
  bool linger_ = false;  // ... but it did not fill a batch: let more arrive first
};

}  // namespace ringest::rio
