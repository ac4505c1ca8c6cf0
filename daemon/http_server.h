// The HTTP endpoint: /metrics (Prometheus text), /-/healthy (200 while the
// process serves), /-/ready (200 once listeners are bound and the log is open,
// 503 with the reason before that and while draining), and / (a small page
// linking the three). Any other path answers 404, a method other than GET or
// HEAD 405.
//
// One thread serves every connection from one poll loop, so a slow or idle
// client cannot hold up another: a connection has request_timeout_ms to send
// its request head and response_timeout_ms to take the whole response, at
// most max_connections are open, and a new connection beyond that closes the
// oldest one still sending its request (an idle or slow client) or, when
// every one is being answered, is itself closed. The thread sleeps in poll
// until a connection, a request byte or a deadline arrives.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "daemon/metrics.h"
#include "rio/stream_socket.h"

namespace ringest {

struct HttpLimits {
  size_t max_connections = 64;
  int request_timeout_ms = 5000;    // from accept to the end of the request head
  int response_timeout_ms = 10000;  // from the request to the last byte sent
  size_t max_request_bytes = 8192;  // a longer head answers 431
};

// What one request head (up to its blank line) is answered with.
struct HttpAnswer {
  int code = 200;
  std::string type = "text/plain; charset=utf-8";
  std::string body;
  bool head_only = false;  // HEAD: the headers without the body
};

class HttpServer {
 public:
  explicit HttpServer(const DaemonStatus& status, HttpLimits limits = {}) : status_(status), limits_(limits) {}
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves on `listen` ("127.0.0.1:9310", "[::1]:9310"; port 0 picks one).
  // Until set_pipeline(), /metrics shows only the process and daemon metrics.
  Status start(const std::string& listen);
  // Stops serving; a response being written is cut. Idempotent.
  void stop();
  // `p` must outlive this server (or be unset first).
  void set_pipeline(const Pipeline* p) { pipeline_.store(p, std::memory_order_release); }
  uint16_t port() const { return port_; }

  // The answer to a request head; public for the tests.
  HttpAnswer answer(std::string_view head) const;

 private:
  struct Connection;
  void serve();

  std::atomic<const Pipeline*> pipeline_{nullptr};
  const DaemonStatus& status_;
  const HttpLimits limits_;
  rio::SocketHandle listener_ = rio::kNoSocket;
  rio::SocketHandle wake_ = rio::kNoSocket;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace ringest
