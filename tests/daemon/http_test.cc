// The HTTP endpoint: readiness follows the daemon's state, health is always
// up while serving, /metrics serves the exposition text; unknown paths,
// methods, oversized heads, idle and slow clients are answered or cut without
// holding up anyone else.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <string>
#include <vector>

#include "daemon/http_server.h"

namespace ringest {
namespace {

using Clock = std::chrono::steady_clock;

// A connected loopback TCP socket (IPv4, or IPv6 ::1 when `v6`), with a
// receive timeout so a server that never answers fails the test instead of
// hanging it.
int dial(uint16_t port, bool v6 = false) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int rc;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  REQUIRE(rc == 0);
  return fd;
}

// Everything the server sends until it closes (or the 5 s receive timeout).
std::string read_all(int fd) {
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  return resp;
}

// Sends `request` raw; returns the whole response.
std::string exchange(uint16_t port, const std::string& request, bool v6 = false) {
  int fd = dial(port, v6);
  REQUIRE(send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string resp = read_all(fd);
  close(fd);
  return resp;
}

// A minimal HTTP/1.1 request over loopback; returns "<status> <body>".
std::string get(uint16_t port, const std::string& path, const std::string& method = "GET", bool v6 = false) {
  std::string resp =
      exchange(port, method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", v6);
  size_t sp = resp.find(' ');
  size_t body = resp.find("\r\n\r\n");
  REQUIRE(sp != std::string::npos);
  REQUIRE(body != std::string::npos);
  return resp.substr(sp + 1, 3) + " " + resp.substr(body + 4);
}

}  // namespace

TEST_CASE("/-/ready is 503 until the daemon is ready and again while it drains") {
  DaemonStatus status;
  HttpServer http(status);
  REQUIRE(http.start("127.0.0.1:0").ok());
  REQUIRE(http.port() != 0);
  CHECK(get(http.port(), "/-/ready") == "503 Starting\n");
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
  status.ready = true;
  CHECK(get(http.port(), "/-/ready") == "200 Ready\n");
  status.draining = true;
  CHECK(get(http.port(), "/-/ready") == "503 Draining\n");
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
}

TEST_CASE("/metrics serves process and daemon metrics before the pipeline exists") {
  DaemonStatus status;
  status.reloads = 3;
  status.reload_failures = 1;
  status.last_reload_ok = false;
  HttpServer http(status);
  REQUIRE(http.start("127.0.0.1:0").ok());
  std::string m = get(http.port(), "/metrics");
  CHECK(m.rfind("200 ", 0) == 0);
  CHECK(m.find("ringest_config_last_reload_successful 0") != std::string::npos);
  CHECK(m.find("ringest_config_reloads_total{result=\"failure\"} 1") != std::string::npos);
  CHECK(m.find("ringest_config_reloads_total{result=\"success\"} 2") != std::string::npos);
  CHECK(m.find("process_resident_memory_bytes ") != std::string::npos);
  CHECK(m.find("process_open_fds ") != std::string::npos);
  CHECK(m.find("ringest_build_info{version=") != std::string::npos);
}

TEST_CASE("the HTTP endpoint refuses an address it cannot bind, with one line") {
  DaemonStatus status;
  HttpServer a(status);
  REQUIRE(a.start("127.0.0.1:0").ok());
  HttpServer b(status);
  Status st = b.start("127.0.0.1:" + std::to_string(a.port()));
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("cannot bind") != std::string::npos);
  CHECK(st.message().find('\n') == std::string::npos);
}

TEST_CASE("unknown paths answer 404 and / links the endpoints; the server keeps serving") {
  DaemonStatus status;
  HttpServer http(status);
  REQUIRE(http.start("127.0.0.1:0").ok());
  for (const char* path : {"/foo", "/../../etc/passwd", "/metrics/extra", "/metricsx", "//", "/-/", "*"}) {
    CAPTURE(path);
    CHECK(get(http.port(), path).rfind("404 ", 0) == 0);
  }
  std::string index = get(http.port(), "/");
  CHECK(index.rfind("200 ", 0) == 0);
  for (const char* link : {"href=\"/metrics\"", "href=\"/-/healthy\"", "href=\"/-/ready\""}) {
    CHECK(index.find(link) != std::string::npos);
  }
  CHECK(get(http.port(), "/metrics?name[]=x").rfind("200 ", 0) == 0);  // a query string is not the path
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
}

TEST_CASE("methods other than GET and HEAD answer 405; HEAD has no body; garbage answers 400") {
  DaemonStatus status;
  HttpServer http(status);
  REQUIRE(http.start("127.0.0.1:0").ok());
  CHECK(get(http.port(), "/metrics", "POST").rfind("405 ", 0) == 0);
  CHECK(get(http.port(), "/metrics", "DELETE").rfind("405 ", 0) == 0);
  std::string head = exchange(http.port(), "HEAD /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.find("Content-Length: 3\r\n") != std::string::npos);
  CHECK(head.substr(head.find("\r\n\r\n") + 4).empty());
  CHECK(exchange(http.port(), "\x16\x03\x01\x02\x05\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
  CHECK(exchange(http.port(), "GET /metrics\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);  // HTTP/0.9
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
}

TEST_CASE("a request head over the limit answers 431 and the connection closes") {
  DaemonStatus status;
  HttpServer http(status);
  REQUIRE(http.start("127.0.0.1:0").ok());
  std::string huge = "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(20000, 'a') + "\r\n\r\n";
  CHECK(exchange(http.port(), huge).rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
}

TEST_CASE("IPv6 listen addresses serve") {
  DaemonStatus status;
  HttpServer http(status);
  Status st = http.start("[::1]:0");
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(get(http.port(), "/-/healthy", "GET", true) == "200 OK\n");
}

TEST_CASE("a scrape stays fast while 200 idle connections are open") {
  DaemonStatus status;
  HttpServer http(status);
  REQUIRE(http.start("127.0.0.1:0").ok());
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) idle.push_back(dial(http.port()));
  // Half of them begin a request and stall (slowloris).
  for (size_t i = 0; i < idle.size(); i += 2) send(idle[i], "GET /met", 8, MSG_NOSIGNAL);
  // The earlier server answered nothing here for ~30 s (its request timeout);
  // 5 s is the client's receive timeout, far above a scrape's cost.
  for (int round = 0; round < 3; ++round) {
    auto t0 = Clock::now();
    std::string m = get(http.port(), "/metrics");
    CHECK(m.rfind("200 ", 0) == 0);
    CHECK(m.find("ringest_build_info") != std::string::npos);
    CHECK(get(http.port(), "/-/ready") == "503 Starting\n");
    CHECK(Clock::now() - t0 < std::chrono::seconds(5));
  }
  for (int fd : idle) close(fd);
}

TEST_CASE("an idle or stalled client is cut after the request timeout; an answered one is not") {
  DaemonStatus status;
  HttpLimits limits;
  limits.request_timeout_ms = 300;
  HttpServer http(status, limits);
  REQUIRE(http.start("127.0.0.1:0").ok());
  int idle = dial(http.port());
  int stalled = dial(http.port());
  const std::string partial = "GET /-/healthy HTTP/1.1\r\nHo";  // a head that never ends
  send(stalled, partial.data(), partial.size(), MSG_NOSIGNAL);
  auto t0 = Clock::now();
  CHECK(read_all(idle).empty());     // closed by the server, nothing sent
  CHECK(read_all(stalled).empty());
  auto waited = Clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::seconds(4));  // the client's own timeout is 5 s
  close(idle);
  close(stalled);
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
}

TEST_CASE("beyond max_connections the oldest idle connection is closed, not the new one") {
  DaemonStatus status;
  HttpLimits limits;
  limits.max_connections = 4;
  HttpServer http(status, limits);
  REQUIRE(http.start("127.0.0.1:0").ok());
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(dial(http.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all four accepted
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
  CHECK(read_all(idle[0]).empty());  // the oldest was closed for it
  pollfd p{idle[3], POLLIN, 0};
  CHECK(poll(&p, 1, 0) == 0);  // the newest idle one is still open
  for (int fd : idle) close(fd);
}

TEST_CASE("a client that never reads its response does not hold up others") {
  DaemonStatus status;
  HttpLimits limits;
  limits.response_timeout_ms = 500;
  HttpServer http(status, limits);
  REQUIRE(http.start("127.0.0.1:0").ok());
  std::vector<int> greedy;
  for (int i = 0; i < 8; ++i) {
    int fd = dial(http.port());
    int small = 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string req = "GET /metrics HTTP/1.1\r\n\r\n";
    send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    greedy.push_back(fd);
  }
  CHECK(get(http.port(), "/-/healthy") == "200 OK\n");
  CHECK(get(http.port(), "/metrics").rfind("200 ", 0) == 0);
  for (int fd : greedy) close(fd);
}

TEST_CASE("answer() routes by the request line alone") {
  DaemonStatus status;
  HttpServer http(status);
  CHECK(http.answer("GET /-/healthy HTTP/1.1\r\n\r\n").code == 200);
  CHECK(http.answer("GET /-/healthy HTTP/1.0\n\n").code == 200);
  CHECK(http.answer("GET /-/healthy?x=1 HTTP/1.1\r\n\r\n").code == 200);
  CHECK(http.answer("GET  /-/healthy HTTP/1.1\r\n\r\n").code == 400);
  CHECK(http.answer("GET /-/healthy HTTP/2\r\n\r\n").code == 400);
  CHECK(http.answer("PUT / HTTP/1.1\r\n\r\n").code == 405);
  CHECK(http.answer("GET /x HTTP/1.1\r\n\r\n").code == 404);
  CHECK(http.answer("HEAD / HTTP/1.1\r\n\r\n").head_only);
}

}  // namespace ringest
