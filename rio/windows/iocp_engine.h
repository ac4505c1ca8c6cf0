// IocpEngine: overlapped WSARecvMsg on an I/O completion port, the Windows
// fallback where the Registered I/O table is missing. Every free slot can
// carry one posted receive (its own OVERLAPPED, WSAMSG and address buffer);
// completions are harvested in batches with GetQueuedCompletionStatusEx and
// a slot is posted again only when the pipeline releases it.
#pragma once

#include <winsock2.h>  // first: the other Winsock headers need it

#include <mswsock.h>

#include <string>
#include <vector>

#include "rio/engine.h"
#include "rio/windows/socket_set.h"

namespace ringest::rio {

class IocpEngine final : public Engine {
 public:
  explicit IocpEngine(const EngineOptions& opts);
  ~IocpEngine() override;

  EngineKind kind() const override { return EngineKind::kIocp; }
  bool counts_kernel_drops() const override { return false; }
  Status add_socket(const SocketSpec& spec, BoundSocket& bound) override;
  Status start() override;
  uint32_t poll(DatagramHandler& handler, int timeout_ms) override;
  void release(std::span<const uint32_t> slots) override;
  bool sockets_empty() override { return socks_.all_empty(); }
  void discard_and_close() override;
  // A socket here belongs to this engine's completion port for life.
  int64_t socket_handle(uint16_t) const override { return -1; }
  // Never asked (no socket is taken over); as at any other stop.
  void hand_over(DatagramHandler&) override { discard_and_close(); }

  BufferPool& pool() override { return pool_; }
  const EngineProbe& probe() const override { return probe_; }
  std::span<const SocketProbe> sockets() const override { return socks_.probes(); }

  // Checks that overlapped WSARecvMsg on a completion port works here. Empty
  // string if it does, else why not.
  static std::string probe_support();

 private:
  // One posted receive; `ov` first so a completion's OVERLAPPED* is the Recv*.
  struct Recv {
    OVERLAPPED ov;
    WSAMSG msg;
    WSABUF buf;
    sockaddr_storage from;
    uint16_t sock;
    bool posted;
  };

  void post(uint16_t sock);
  void post_all();
  void handle(const OVERLAPPED_ENTRY& e, int64_t now_ns);
  void cancel_all();

  EngineOptions opts_;
  BufferPool pool_;
  win_udp::SocketSet socks_;
  HANDLE iocp_ = nullptr;
  LPFN_WSARECVMSG recvmsg_ = nullptr;
  std::vector<Recv> recv_;        // one per slot
  std::vector<uint32_t> free_;    // slots the engine may post
  std::vector<uint32_t> posted_;  // receives outstanding, per socket
  std::vector<bool> starved_;     // per socket: no receive posted and no free slot
  uint32_t depth_ = 0;            // receives to keep posted per socket
  uint32_t outstanding_ = 0;
  std::vector<OVERLAPPED_ENTRY> entries_;
  std::vector<uint32_t> out_;
  EngineProbe probe_;
};

}  // namespace ringest::rio
