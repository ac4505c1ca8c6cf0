// UringEngine: io_uring receive. The pool's slab is a provided-buffer ring
// (one buffer per slot, buffer id == slot index); each socket has one
// multishot recvmsg posted, so the kernel fills slots with no syscall per
// datagram; completions are harvested in batches and re-armed when a
// completion arrives without IORING_CQE_F_MORE (-ENOBUFS ends a multishot).
#pragma once

#include <liburing.h>

#include <string>
#include <vector>

#include "rio/engine.h"
#include "rio/linux/socket_set.h"
#include "rio/linux/uring_ring.h"

namespace ringest::rio {

class UringEngine final : public Engine {
 public:
  explicit UringEngine(const EngineOptions& opts);
  ~UringEngine() override;

  EngineKind kind() const override { return EngineKind::kUring; }
  bool counts_kernel_drops() const override { return true; }
  Status add_socket(const SocketSpec& spec, BoundSocket& bound) override;
  Status start() override;
  uint32_t poll(DatagramHandler& handler, int timeout_ms) override;
  void release(std::span<const uint32_t> slots) override;
  bool sockets_empty() override;
  void discard_and_close() override;
  int64_t socket_handle(uint16_t i) const override { return socks_.fd(i); }
  void hand_over(DatagramHandler& handler) override;

  BufferPool& pool() override { return pool_; }
  const EngineProbe& probe() const override { return probe_; }
  std::span<const SocketProbe> sockets() const override { return socks_.probes(); }

  // Checks that this kernel really does everything the engine needs (ring
  // set-up, buffer-ring registration, multishot recvmsg delivering a
  // datagram on loopback). Empty string if it works, else why not.
  static std::string probe_support();

 private:
  void arm(uint16_t sock);
  void give_to_ring(uint32_t slot);
  void handle(const io_uring_cqe* cqe, int64_t now_ns);
  void harvest(int64_t now_ns);
  // Cancels the receives and harvests what raced with the cancel: counted as
  // shutdown drops, or (`deliver`) kept in out_ as datagrams.
  void cancel_all(bool deliver);

  EngineOptions opts_;
  BufferPool pool_;
  linux_udp::SocketSet socks_;
  io_uring ring_{};
  bool ring_ready_ = false;
  bool discarding_ = false;  // cancel_all(false): what completes now is a shutdown drop
  linux_uring::BufferRing br_;  // one buffer per slot, buffer id == slot index
  msghdr msg_{};             // the layout of every slot: name + control + payload
  std::vector<bool> armed_;
  std::vector<uint32_t> out_;
  EngineProbe probe_;
  bool busy_ = false;        // the last poll harvested something
  int64_t next_drop_refresh_ns_ = 0;
};

}  // namespace ringest::rio
