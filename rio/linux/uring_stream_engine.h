// UringStreamEngine: a TCP listener on io_uring. One multishot accept is
// posted on the listening socket; every connection has one multishot recv
// drawing from a provided-buffer ring of receive chunks, so neither accepting
// nor reading costs a syscall per connection or per read. The chunks' bytes
// go to the StreamAssembler, which frames them into messages in pool slots.
//
// Flow control: a chunk the assembler could not finish (the pool is full)
// stays with its connection, unread chunks queue behind it, and once the
// chunk ring runs dry the kernel ends the multishot recvs (-ENOBUFS); they
// are re-armed when chunks come back. Meanwhile the kernel's receive buffers
// fill and TCP stops the senders — nothing is dropped.
#pragma once

#include <liburing.h>

#include <deque>
#include <string>
#include <vector>

#include "rio/engine.h"
#include "rio/linux/uring_ring.h"
#include "rio/stream_assembler.h"

namespace ringest::rio {

class UringStreamEngine final : public Engine {
 public:
  UringStreamEngine(const EngineOptions& opts, const StreamOptions& stream);
  ~UringStreamEngine() override;

  EngineKind kind() const override { return EngineKind::kUring; }
  // TCP does not drop: what the kernel holds, the sender is told to wait for.
  bool counts_kernel_drops() const override { return false; }
  Status add_socket(const SocketSpec& spec, BoundSocket& bound) override;
  // Connections can't be handed to another engine: a changed TCP listener
  // restarts, and its senders reconnect.
  int64_t socket_handle(uint16_t) const override { return -1; }
  Status start() override;
  uint32_t poll(DatagramHandler& handler, int timeout_ms) override;
  void release(std::span<const uint32_t> slots) override;
  bool sockets_empty() override;
  void discard_and_close() override;
  void hand_over(DatagramHandler& handler) override;

  BufferPool& pool() override { return pool_; }
  const EngineProbe& probe() const override { return probe_; }
  std::span<const SocketProbe> sockets() const override { return {&asm_.socket_probe(), 1}; }
  const StreamProbe* stream() const override { return &asm_.probe(); }

  // Whether this kernel accepts and receives over TCP with multishot
  // requests on loopback: "" if so, else why not.
  static std::string probe_support();

 private:
  struct Chunk {
    uint16_t bid;
    uint32_t offset, length;
  };
  struct Link {
    int fd = -1;
    uint32_t gen = 0;
    bool armed = false;    // a multishot recv is posted
    bool ended = false;    // the peer closed, an error, or we shut it down: no more bytes
    bool stalled = false;  // on stalled_, waiting for slots
    StreamAssembler::Close why = StreamAssembler::Close::kPeer;
    std::deque<Chunk> pending;  // bytes received, not yet all framed
  };

  io_uring_sqe* sqe();
  void arm_accept();
  void arm_recv(int32_t id);
  void give_chunk(uint16_t bid);
  void on_accept(const io_uring_cqe* cqe, int64_t mono);
  void on_recv(int32_t id, const io_uring_cqe* cqe, int64_t wall, int64_t mono);
  // Frames what `id` holds; false if the pool ran out again.
  bool drain_pending(int32_t id, int64_t wall, int64_t mono);
  void finish(int32_t id);
  void resume_stalled(int64_t wall, int64_t mono);
  void close_idle(int64_t mono);
  void harvest(int64_t wall, int64_t mono);
  std::string_view chunk_bytes(const Chunk& c);

  EngineOptions opts_;
  BufferPool pool_;     // message slots handed to the pipeline
  BufferPool chunks_;   // receive chunks, the provided-buffer ring
  StreamAssembler asm_;
  int listen_fd_ = -1;
  io_uring ring_{};
  bool ring_ready_ = false;
  bool accept_armed_ = false;
  linux_uring::BufferRing br_;      // the chunks, buffer id == chunk index
  std::vector<Link> links_;          // by assembler connection id
  std::deque<int32_t> stalled_;      // connections with bytes the pool could not take, oldest first
  std::vector<int32_t> unarmed_;     // open connections whose recv ended without the connection ending
  std::vector<int32_t> scratch_;
  int64_t next_idle_check_ = 0;
  int64_t accept_retry_at_ = 0;
  bool discarding_ = false;  // discard_and_close(): bytes received now are shutdown drops
  EngineProbe probe_;
  bool busy_ = false;
};

}  // namespace ringest::rio
