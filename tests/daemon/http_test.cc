// The HTTP endpoint: readiness follows the daemon's state, health is always
// up while serving, /metrics serves the exposition text.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "daemon/metrics.h"

namespace ringest {
namespace {

// A minimal HTTP/1.1 GET over loopback; returns "<status> <body>".
std::string get(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  REQUIRE(send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
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
}

}  // namespace ringest
