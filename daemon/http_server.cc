#include "daemon/http_server.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "daemon/pipeline.h"

namespace ringest {
namespace {

using Clock = std::chrono::steady_clock;

const char* reason(int code) {
  switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::string render(const HttpAnswer& a) {
  std::string out = "HTTP/1.1 " + std::to_string(a.code) + " " + reason(a.code) + "\r\nContent-Type: " + a.type +
                    "\r\nContent-Length: " + std::to_string(a.body.size()) + "\r\n";
  if (a.code == 405) out += "Allow: GET, HEAD\r\n";
  out += "Connection: close\r\n\r\n";
  if (!a.head_only) out += a.body;
  return out;
}

HttpAnswer plain(int code, std::string body) {
  HttpAnswer a;
  a.code = code;
  a.body = std::move(body);
  return a;
}

constexpr std::string_view kIndex =
    "<html><head><title>ringest</title></head><body>\n<h1>ringest</h1>\n<ul>\n"
    "<li><a href=\"/metrics\">/metrics</a> (Prometheus text)</li>\n"
    "<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
    "<li><a href=\"/-/ready\">/-/ready</a></li>\n</ul>\n</body></html>\n";

// Where the blank line that ends a request head starts, or npos.
size_t head_end(const std::string& in, size_t& terminator) {
  size_t crlf = in.find("\r\n\r\n");
  size_t lf = in.find("\n\n");
  if (crlf != std::string::npos && (lf == std::string::npos || crlf < lf)) {
    terminator = 4;
    return crlf;
  }
  terminator = 2;
  return lf;
}

}  // namespace

struct HttpServer::Connection {
  rio::SocketHandle socket = rio::kNoSocket;
  Clock::time_point accepted;
  Clock::time_point deadline;
  bool answering = false;  // false: still reading the request head
  std::string in;
  std::string out;
  size_t sent = 0;
};

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start(const std::string& listen) {
  uint16_t port = 0;
  if (Status st = rio::stream_listen(listen, 128, listener_, port); !st) {
    return Status::invalid("metrics listen: " + st.message());
  }
  if (Status st = rio::wake_socket_open(wake_); !st) {
    rio::socket_close(listener_);
    listener_ = rio::kNoSocket;
    return st;
  }
  port_ = port;
  stopping_.store(false);
  thread_ = std::thread([this] { serve(); });
  return {};
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  rio::wake(wake_);
  thread_.join();
  rio::socket_close(listener_);
  rio::socket_close(wake_);
  listener_ = wake_ = rio::kNoSocket;
}

HttpAnswer HttpServer::answer(std::string_view head) const {
  std::string_view line = head.substr(0, head.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos ||
      line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
    return plain(400, "bad request\n");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") return plain(405, "method not allowed\n");

  HttpAnswer a;
  if (target == "/metrics") {
    a = plain(200, render_metrics(pipeline_.load(std::memory_order_acquire), &status_));
    a.type = "text/plain; version=0.0.4; charset=utf-8";
  } else if (target == "/-/healthy") {
    a = plain(200, "OK\n");
  } else if (target == "/-/ready") {
    bool draining = status_.draining.load();
    const Pipeline* p = pipeline_.load(std::memory_order_acquire);
    std::string blocked = p != nullptr && !draining ? p->write_blocked() : "";
    if (status_.ready.load() && !draining && blocked.empty()) {
      a = plain(200, "Ready\n");
    } else {
      a = plain(503, draining ? "Draining\n" : !blocked.empty() ? "Cannot write: " + blocked + "\n" : "Starting\n");
    }
  } else if (target == "/") {
    a = plain(200, std::string(kIndex));
    a.type = "text/html; charset=utf-8";
  } else {
    a = plain(404, "404 page not found\n");
  }
  a.head_only = method == "HEAD";
  return a;
}

void HttpServer::serve() {
  std::vector<Connection> conns;
  std::vector<rio::PollItem> items;
  const auto request_timeout = std::chrono::milliseconds(limits_.request_timeout_ms);
  const auto response_timeout = std::chrono::milliseconds(limits_.response_timeout_ms);

  auto respond = [&](Connection& c, const HttpAnswer& a, Clock::time_point now) {
    c.answering = true;
    c.out = render(a);
    c.sent = 0;
    c.deadline = now + response_timeout;
  };
  // Reads what has arrived; false when the connection is to be closed.
  auto read_some = [&](Connection& c, Clock::time_point now) {
    char buf[4096];
    bool closed = false;  // the peer may half-close after its request
    for (;;) {
      long n = rio::stream_recv(c.socket, buf, sizeof buf);
      if (n == rio::kWouldBlock) break;
      if (n <= 0) {
        closed = true;
        break;
      }
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.size() > limits_.max_request_bytes) break;
    }
    size_t terminator = 0;
    size_t end = head_end(c.in, terminator);
    if (end != std::string::npos && end <= limits_.max_request_bytes) {
      respond(c, answer(std::string_view(c.in).substr(0, end + terminator)), now);
    } else if (c.in.size() > limits_.max_request_bytes) {
      respond(c, plain(431, "request head too large\n"), now);
    }
    return c.answering || !closed;
  };
  // Sends what the socket takes; false when done or failed.
  auto write_some = [&](Connection& c) {
    while (c.sent < c.out.size()) {
      long n = rio::stream_send(c.socket, c.out.data() + c.sent, c.out.size() - c.sent);
      if (n == rio::kWouldBlock) return true;
      if (n < 0) return false;
      c.sent += static_cast<size_t>(n);
    }
    return false;
  };

  while (!stopping_.load()) {
    items.clear();
    items.push_back({wake_, true, false});
    items.push_back({listener_, true, false});
    Clock::time_point next = Clock::time_point::max();
    for (const Connection& c : conns) {
      items.push_back({c.socket, !c.answering, c.answering});
      next = std::min(next, c.deadline);
    }
    int timeout_ms = -1;
    if (next != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now()).count();
      timeout_ms = static_cast<int>(std::clamp<long long>(left, 0, 60'000));
    }
    if (rio::poll_sockets(items.data(), items.size(), timeout_ms) < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // EBADF/ENOMEM: do not spin
      continue;
    }
    if (items[0].readable) rio::drain(wake_);
    const Clock::time_point now = Clock::now();

    for (size_t i = conns.size(); i-- > 0;) {
      Connection& c = conns[i];
      const rio::PollItem& it = items[i + 2];
      bool keep = true;
      if (!c.answering && it.readable) keep = read_some(c, now);
      if (keep && c.answering && (it.writable || c.sent == 0)) keep = write_some(c);
      if (keep && now >= c.deadline) keep = false;
      if (!keep) {
        rio::socket_close(c.socket);
        conns.erase(conns.begin() + static_cast<ptrdiff_t>(i));
      }
    }

    if (!items[1].readable) continue;
    for (rio::SocketHandle s; (s = rio::stream_accept(listener_)) != rio::kNoSocket;) {
      if (conns.size() >= limits_.max_connections) {
        auto oldest = conns.end();
        for (auto c = conns.begin(); c != conns.end(); ++c) {
          if (!c->answering && (oldest == conns.end() || c->accepted < oldest->accepted)) oldest = c;
        }
        if (oldest == conns.end()) {
          rio::socket_close(s);
          continue;
        }
        rio::socket_close(oldest->socket);
        conns.erase(oldest);
      }
      Connection c;
      c.socket = s;
      c.accepted = now;
      c.deadline = now + request_timeout;
      conns.push_back(std::move(c));
    }
  }
  for (Connection& c : conns) rio::socket_close(c.socket);
}

}  // namespace ringest
