#include <civetweb.h>

#include <future>
#include <string>

#include "common/host_port.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"

namespace ringest {
namespace {

int reply(mg_connection* conn, int code, const char* type, const std::string& body) {
  const char* reason = code == 200 ? "OK" : code == 503 ? "Service Unavailable" : "Error";
  // Formatted here, written raw: civetweb's mg_printf walks its va_list more
  // than once, which sanitizers (rightly) reject.
  std::string head = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: " + type +
                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  mg_write(conn, head.data(), head.size());
  mg_write(conn, body.data(), body.size());
  return code;
}

}  // namespace

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (ctx_) mg_stop(ctx_);
  ctx_ = nullptr;
}

Status HttpServer::start(const std::string& listen) {
  HostPort hp;
  if (!split_host_port(listen, hp)) return Status::invalid("metrics listen '" + listen + "': bad address");
  // civetweb wants "[::1]:port" for IPv6 and "ip:port" for IPv4.
  std::string ports = (hp.host.find(':') != std::string::npos ? "[" + hp.host + "]" : hp.host) + ":" +
                      std::to_string(hp.port);
  const char* options[] = {"listening_ports", ports.c_str(), "num_threads", "2", nullptr};
  mg_callbacks callbacks{};
  ctx_ = mg_start(&callbacks, this, options);
  if (!ctx_) return Status::invalid("metrics listen " + listen + ": cannot bind (in use or not a local address)");
  mg_set_request_handler(ctx_, "/metrics", &HttpServer::handle_metrics, this);
  mg_set_request_handler(ctx_, "/-/healthy", &HttpServer::handle_healthy, this);
  mg_set_request_handler(ctx_, "/-/ready", &HttpServer::handle_ready, this);
  mg_server_port bound[4] = {};
  if (mg_get_server_ports(ctx_, 4, bound) > 0) port_ = static_cast<uint16_t>(bound[0].port);
  return {};
}

int HttpServer::handle_metrics(mg_connection* conn, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  // civetweb's handler threads have small fixed stacks; collecting runs on a
  // thread with an ordinary one. Scrapes are rare, so the thread is cheap.
  std::string text = std::async(std::launch::async, [s] {
                       return render_metrics(s->pipeline_.load(std::memory_order_acquire), &s->status_);
                     }).get();
  return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text);
}

int HttpServer::handle_healthy(mg_connection* conn, void*) { return reply(conn, 200, "text/plain", "OK\n"); }

int HttpServer::handle_ready(mg_connection* conn, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  bool draining = s->status_.draining.load();
  if (s->status_.ready.load() && !draining) return reply(conn, 200, "text/plain", "Ready\n");
  return reply(conn, 503, "text/plain", draining ? "Draining\n" : "Starting\n");
}

}  // namespace ringest
