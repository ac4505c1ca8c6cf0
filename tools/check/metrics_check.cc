#include "tools/check/metrics_check.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace ringest::check {

double Snapshot::dropped_total() const {
  double t = 0;
  for (const auto& [k, v] : dropped) t += v;
  return t;
}

double Snapshot::dropped_in(const std::string& stage) const {
  double t = 0;
  for (const auto& [k, v] : dropped)
    if (k.compare(0, stage.size() + 1, stage + "/") == 0) t += v;
  return t;
}

namespace {

std::string label(const std::string& labels, const std::string& key) {
  const std::string pat = key + "=\"";
  size_t at = 0;
  while ((at = labels.find(pat, at)) != std::string::npos) {
    if (at == 0 || labels[at - 1] == ',' || labels[at - 1] == '{') break;
    at += pat.size();
  }
  if (at == std::string::npos) return "";
  at += pat.size();
  return labels.substr(at, labels.find('"', at) - at);
}

}  // namespace

Snapshot parse_metrics(const std::string& text) {
  Snapshot s;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    const size_t value_at = line.rfind(' ');
    if (name_end == std::string::npos || value_at == std::string::npos) continue;
    const std::string name = line.substr(0, name_end);
    const std::string labels = line[name_end] == '{' ? line.substr(name_end, value_at - name_end) : "";
    const double v = std::strtod(line.c_str() + value_at + 1, nullptr);
    if (name == "ringest_received_datagrams_total")
      s.received += v;
    else if (name == "ringest_stored_datagrams_total")
      s.stored += v;
    else if (name == "ringest_queue_depth")
      s.queue_depth += v;
    else if (name == "ringest_dropped_datagrams_total")
      s.dropped[label(labels, "stage") + "/" + label(labels, "reason")] += v;
  }
  return s;
}

Status scrape(const std::string& url, Snapshot& out) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    return Status::invalid("metrics URL must start with http://: " + url);
  std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/metrics" : rest.substr(slash);
  std::string host = hostport, port = "80";
  if (!hostport.empty() && hostport[0] == '[') {
    const size_t close = hostport.find(']');
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':') port = hostport.substr(close + 2);
  } else if (const size_t colon = hostport.rfind(':'); colon != std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (int e = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); e != 0)
    return Status::invalid(url + ": " + gai_strerror(e));
  const int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const bool connected = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  const int err = errno;
  freeaddrinfo(res);
  if (!connected) {
    if (fd >= 0) close(fd);
    return Status::from_errno(err, "connect " + url);
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + hostport + "\r\nConnection: close\r\n\r\n";
  std::string resp;
  bool io_ok = send(fd, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size());
  char buf[16384];
  for (ssize_t n; io_ok && (n = recv(fd, buf, sizeof buf, 0)) != 0;) {
    if (n < 0)
      io_ok = false;
    else
      resp.append(buf, size_t(n));
  }
  close(fd);
  if (!io_ok) return Status::invalid("GET " + url + ": no complete response");
  const size_t body = resp.find("\r\n\r\n");
  if (resp.compare(0, 9, "HTTP/1.1 ") != 0 && resp.compare(0, 9, "HTTP/1.0 ") != 0)
    return Status::invalid("GET " + url + ": not an HTTP response");
  if (resp.compare(9, 3, "200") != 0 || body == std::string::npos)
    return Status::invalid("GET " + url + ": " + resp.substr(0, resp.find('\r')));
  if (resp.substr(0, body).find("chunked") != std::string::npos)
    return Status::invalid("GET " + url + ": chunked responses are not supported");
  out = parse_metrics(resp.substr(body + 4));
  return Status();
}

Status scrape_settled(const std::string& url, const Snapshot& before, uint64_t sent, double timeout_s,
                      Snapshot& after) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  double last_seen = -1, last_accounted = -1;
  int unchanged = 0;
  for (;;) {
    Status s = scrape(url, after);
    if (!s.ok()) return s;
    const double seen =
        after.received + after.dropped_in("kernel") - before.received - before.dropped_in("kernel");
    const double accounted = after.stored + after.dropped_total();
    unchanged = seen == last_seen && accounted == last_accounted ? unchanged + 1 : 0;
    // Settled: everything sent has arrived and the pipeline is idle — or nothing
    // has moved for 2 s (datagrams lost before the daemon never arrive).
    if (after.queue_depth == 0 && unchanged >= (seen >= double(sent) ? 1 : 8)) return Status();
    if (std::chrono::steady_clock::now() >= deadline) return Status();
    last_seen = seen;
    last_accounted = accounted;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Reconciliation reconcile(uint64_t sent, const Snapshot& before, const Snapshot& after) {
  Reconciliation r;
  r.sent = sent;
  r.received = after.received - before.received;
  r.stored = after.stored - before.stored;
  double dropped = 0;
  for (const auto& [k, v] : after.dropped) {
    auto it = before.dropped.find(k);
    const double d = v - (it == before.dropped.end() ? 0 : it->second);
    if (d != 0) r.dropped[k] = d;
    dropped += d;
  }
  r.unaccounted = double(sent) - r.stored - dropped;
  return r;
}

void print(std::FILE* out, const Reconciliation& r) {
  std::fprintf(out, "reconciliation against /metrics\n");
  std::fprintf(out, "  %-34s %14llu\n", "sent", static_cast<unsigned long long>(r.sent));
  std::fprintf(out, "  %-34s %14.0f\n", "received by the daemon", r.received);
  std::fprintf(out, "  %-34s %14.0f\n", "stored", r.stored);
  if (r.dropped.empty()) std::fprintf(out, "  %-34s %14d\n", "dropped", 0);
  for (const auto& [k, v] : r.dropped) std::fprintf(out, "  %-34s %14.0f\n", ("dropped " + k).c_str(), v);
  std::fprintf(out, "  %-34s %14.0f\n", "unaccounted", r.unaccounted);
  if (r.ok())
    std::fprintf(out, "verdict: OK — every datagram sent is stored or counted as dropped\n");
  else if (r.unaccounted > 0)
    std::fprintf(out, "verdict: FAIL — %.0f datagrams sent are neither stored nor counted as dropped\n",
                 r.unaccounted);
  else
    std::fprintf(out,
                 "verdict: FAIL — the daemon accounted for %.0f more datagrams than were sent "
                 "(another sender?)\n",
                 -r.unaccounted);
}

int check_after_send(const std::string& url, const Snapshot& before, uint64_t sent, std::FILE* out) {
  Snapshot after;
  Status s = scrape_settled(url, before, sent, 30.0, after);
  if (!s.ok()) {
    std::fprintf(out, "check-metrics: %s\n", s.message().c_str());
    return 4;
  }
  const Reconciliation r = reconcile(sent, before, after);
  print(out, r);
  return r.ok() ? 0 : 3;
}

}  // namespace ringest::check
