// RioEngine: Winsock Registered I/O receive. The pool's slab is registered
// once (RIORegisterBuffer); each slot holds the sender's address (a
// SOCKADDR_INET, written by RIOReceiveEx into registered memory too) ahead of
// the payload. One completion queue with RIO_IOCP_COMPLETION notification
// serves every socket; each socket has a request queue with up to
// slots / sockets receives outstanding. A poll arms RIONotify (one shot),
// waits on the completion port, then RIODequeueCompletion takes at most one
// batch per socket; when that bound was hit the next poll dequeues again
// without waiting, else it re-arms.
//
// Request and completion queues are not thread-safe: everything here runs on
// the engine thread, which alone posts receives; slots come back to it
// through release().
#pragma once

#include <string>
#include <vector>

#include "rio/engine.h"
#include "rio/windows/rio_api.h"
#include "rio/windows/socket_set.h"

namespace ringest::rio {

// Not final: the tests construct it over the RIO double (tests/rio/windows_engines.h).
class RioEngine : public Engine {
 public:
  // `rio` is the function table the engine calls: the system's (load_table)
  // or, in tests, a double's.
  RioEngine(const EngineOptions& opts, const RIO_EXTENSION_FUNCTION_TABLE& rio);
  ~RioEngine() override;

  EngineKind kind() const override { return EngineKind::kRio; }
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

  // Bytes at the head of each slot for the sender's address; the payload
  // follows, so a datagram may be slot_bytes - kAddressBytes long.
  static constexpr uint32_t kAddressBytes = 64;

  // The system's table (WSAIoctl SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER
  // with WSAID_MULTIPLE_RIO). Empty string if loaded, else why not.
  static std::string load_table(RIO_EXTENSION_FUNCTION_TABLE& out);
  // Whether this system has Registered I/O. Empty string if it does.
  static std::string probe_support();

 private:
  Status create_queues();
  void post(uint16_t sock);
  void post_all();
  void dequeue(int64_t now_ns);
  void handle(const RIORESULT& r, int64_t now_ns);

  EngineOptions opts_;
  RIO_EXTENSION_FUNCTION_TABLE rio_;
  BufferPool pool_;
  win_udp::SocketSet socks_;
  HANDLE iocp_ = nullptr;
  OVERLAPPED notify_ov_{};  // what the completion port hands back for a RIONotify
  RIO_BUFFERID buffer_ = RIO_INVALID_BUFFERID;
  RIO_CQ cq_ = RIO_INVALID_CQ;
  std::vector<RIO_RQ> rq_;
  std::vector<RIORESULT> results_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> posted_;  // receives outstanding, per socket
  std::vector<bool> starved_;
  uint32_t depth_ = 0;
  uint32_t outstanding_ = 0;
  bool armed_ = false;    // a RIONotify is pending
  bool more_ = false;     // the last dequeue hit its bound: dequeue before waiting
  bool corrupt_ = false;  // RIODequeueCompletion answered RIO_CORRUPT_CQ: the engine stops
  std::vector<uint32_t> out_;
  EngineProbe probe_;
};

}  // namespace ringest::rio
