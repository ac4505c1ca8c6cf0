// IocpStreamEngine: a TCP listener on an I/O completion port. A few AcceptEx
// calls stay posted on the listening socket; every connection has one
// overlapped WSARecv posted into a receive buffer of its own, and its bytes
// go to the StreamAssembler, which frames them into messages in pool slots.
//
// Flow control: a buffer the assembler could not finish (the pool is full)
// is kept, and no receive is posted on that connection until release() frees
// slots; the stack's receive window then fills and TCP holds the sender back.
#pragma once

#include <winsock2.h>  // first: the other Winsock headers need it
#include <mswsock.h>

#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "rio/engine.h"
#include "rio/stream_assembler.h"

namespace ringest::rio {

class IocpStreamEngine final : public Engine {
 public:
  IocpStreamEngine(const EngineOptions& opts, const StreamOptions& stream);
  ~IocpStreamEngine() override;

  EngineKind kind() const override { return EngineKind::kIocp; }
  bool counts_kernel_drops() const override { return false; }
  Status add_socket(const SocketSpec& spec, BoundSocket& bound) override;
  // A socket belongs to one completion port for life: a changed TCP listener
  // restarts, and its senders reconnect.
  int64_t socket_handle(uint16_t) const override { return -1; }
  Status start() override;
  uint32_t poll(DatagramHandler& handler, int timeout_ms) override;
  void release(std::span<const uint32_t> slots) override;
  bool sockets_empty() override;
  void discard_and_close() override;
  void hand_over(DatagramHandler&) override { discard_and_close(); }

  BufferPool& pool() override { return pool_; }
  const EngineProbe& probe() const override { return probe_; }
  std::span<const SocketProbe> sockets() const override { return {&asm_.socket_probe(), 1}; }
  const StreamProbe* stream() const override { return &asm_.probe(); }

  // Whether AcceptEx loads here: "" if so, else why not.
  static std::string probe_support();

 private:
  static constexpr size_t kAccepts = 16;
  static constexpr uint32_t kRecvBytes = 16384;
  static constexpr size_t kAddrBytes = sizeof(sockaddr_storage) + 16;

  // `ov` first: a completion's OVERLAPPED* is the Accept* or the Conn*.
  struct Accept {
    OVERLAPPED ov{};
    SOCKET s = INVALID_SOCKET;
    bool posted = false;
    char addrs[2 * kAddrBytes];
  };
  struct Conn {
    OVERLAPPED ov{};
    int32_t id = -1;
    SOCKET s = INVALID_SOCKET;
    bool posted = false;   // a WSARecv is outstanding
    bool ended = false;    // no more bytes: the peer closed, an error, or we closed it
    bool stalled = false;  // on stalled_, its buffer not all framed
    StreamAssembler::Close why = StreamAssembler::Close::kPeer;
    uint32_t offset = 0, length = 0;  // the unframed part of buf
    std::unique_ptr<char[]> buf;
  };

  void post_accept(Accept& a);
  void on_accept(Accept& a, bool ok, int64_t mono);
  void post_recv(Conn& c);
  void on_recv(Conn& c, bool ok, DWORD bytes, int64_t wall, int64_t mono);
  bool drain(Conn& c, int64_t wall, int64_t mono);
  void finish(Conn& c);
  void resume_stalled(int64_t wall, int64_t mono);
  void close_idle(int64_t mono);
  void handle(const OVERLAPPED_ENTRY& e, int64_t wall, int64_t mono);
  // Waits (bounded) until every posted accept and receive has completed.
  void wait_outstanding();

  EngineOptions opts_;
  BufferPool pool_;
  StreamAssembler asm_;
  SOCKET listener_ = INVALID_SOCKET;
  int family_ = AF_INET;
  HANDLE iocp_ = nullptr;
  LPFN_ACCEPTEX accept_ex_ = nullptr;
  std::array<Accept, kAccepts> accepts_{};
  std::vector<std::unique_ptr<Conn>> conns_;  // by assembler connection id
  std::deque<int32_t> stalled_;
  std::vector<int32_t> scratch_;
  std::vector<OVERLAPPED_ENTRY> entries_;
  uint32_t outstanding_ = 0;
  int64_t next_idle_check_ = 0;
  EngineProbe probe_;
};

}  // namespace ringest::rio
