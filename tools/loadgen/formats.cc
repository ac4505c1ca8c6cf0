#include "tools/loadgen/formats.h"

#include <fmt/format.h>
#include <time.h>

#include <charconv>
#include <iterator>

namespace ringest::loadgen {
namespace {

constexpr std::string_view kServices[] = {"api",    "web",     "checkout",  "auth",
                                          "search", "billing", "inventory", "gateway"};
constexpr std::string_view kComponents[] = {"http", "db", "cache", "queue", "rpc", "jvm", "worker"};
struct Metric {
  std::string_view name;
  char statsd_type;  // c g m(s) h s d
};
constexpr Metric kMetrics[] = {{"requests", 'c'},     {"errors", 'c'},       {"latency_ms", 'm'},
                               {"bytes_in", 'c'},     {"connections", 'g'},  {"hits", 'c'},
                               {"misses", 'c'},       {"queue_depth", 'g'},  {"duration", 'h'},
                               {"unique_users", 's'}, {"payload_size", 'd'}, {"bytes_out", 'c'}};
constexpr std::string_view kRegions[] = {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"};
constexpr std::string_view kEnvs[] = {"prod", "prod", "prod", "staging"};
constexpr std::string_view kEndpoints[] = {"/v1/items",  "/v1/cart", "/v1/login", "/v1/search",
                                           "/v2/orders", "/healthz", "/v1/users", "/v1/pay"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr size_t kServiceN = std::size(kServices), kComponentN = std::size(kComponents),
                 kMetricN = std::size(kMetrics);

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Name number k: service.component.metric, with a numeric suffix past the vocabulary's size.
struct Name {
  std::string_view service, component;
  Metric metric;
  uint64_t generation;
};

// The residues of k modulo 8, 7 and 12 are distinct for k < lcm = 168, so the
// first 168 names differ and even a small --names spreads over the vocabulary.
constexpr uint64_t kDistinct = 168;

Name name_of(uint64_t k) {
  return {kServices[k % kServiceN], kComponents[k % kComponentN], kMetrics[k % kMetricN], k / kDistinct};
}

using Out = std::back_insert_iterator<std::string>;

void put_path(Out o, const Name& n, char sep) {
  fmt::format_to(o, "{}{}{}{}{}", n.service, sep, n.component, sep, n.metric.name);
  if (n.generation) fmt::format_to(o, "_{}", n.generation);
}

struct Line {
  Name name;
  uint64_t host, region, env, endpoint;
  uint64_t r;  // randomness for the value
};

Line line_of(const Vocabulary& v, uint64_t seq, uint32_t l) {
  const uint64_t h = mix64(seq * 131 + l);
  Line x{name_of(h % v.names), (h >> 20) % v.hosts, 0, 0, (h >> 40) % std::size(kEndpoints), mix64(h)};
  x.region = x.host % std::size(kRegions);
  x.env = x.host % std::size(kEnvs);
  return x;
}

// `only` other than 0: every line is of that type (statsd-counters: 'c').
void statsd_line(Out o, const Line& x, uint64_t seq, uint32_t l, bool tags, char only = 0) {
  put_path(o, x.name, '.');
  char t = only ? only : x.name.metric.statsd_type;
  if (!tags && (t == 'h' || t == 'd')) t = 'm';  // Etsy StatsD knows c, g, ms, s
  const uint64_t r = x.r;
  switch (t) {
    case 'c': fmt::format_to(o, ":{}|c", 1 + r % 5); break;
    case 'g': fmt::format_to(o, ":{}|g", r % 1000); break;
    case 'm': fmt::format_to(o, ":{}.{}|ms", r % 500, r % 10); break;
    case 'h': fmt::format_to(o, ":{}|h", r % 2000); break;
    case 's': fmt::format_to(o, ":user{}|s", r % 10000); break;
    case 'd': fmt::format_to(o, ":{}|d", r % 65536); break;
  }
  if (t == 'c' && r % 10 == 3) fmt::format_to(o, "|@0.1");
  if (tags)
    fmt::format_to(o, "|#host:host-{:03},region:{},env:{},endpoint:{},seq:{},line:{}", x.host,
                   kRegions[x.region], kEnvs[x.env], kEndpoints[x.endpoint], seq, l);
}

void influx_line(Out o, const Line& x, uint64_t seq, uint32_t l, int64_t wall_ns) {
  fmt::format_to(o, "{}_{},host=host-{:03},region={},env={},seq={},line={} ", x.name.service,
                 x.name.component, x.host, kRegions[x.region], kEnvs[x.env], seq, l);
  fmt::format_to(o, "{}", x.name.metric.name);
  if (x.name.generation) fmt::format_to(o, "_{}", x.name.generation);
  fmt::format_to(o, "={}.{},count={}i,ok={} {}", x.r % 1000, x.r % 100, x.r % 50, x.r % 7 ? "true" : "false",
                 wall_ns);
}

void graphite_line(Out o, const Line& x, uint64_t seq, uint32_t l, int64_t wall_ns) {
  put_path(o, x.name, '.');
  fmt::format_to(o, ";host=host-{:03};region={};seq={};line={} {}.{} {}", x.host, kRegions[x.region], seq, l,
                 x.r % 10000, x.r % 10, wall_ns / 1'000'000'000);
}

tm utc(int64_t wall_ns) {
  const time_t s = time_t(wall_ns / 1'000'000'000);
  tm t{};
  gmtime_r(&s, &t);
  return t;
}

void syslog_line(Out o, Format f, const Line& x, uint64_t seq, int64_t wall_ns) {
  const unsigned facility = 16 + unsigned(x.r % 8), severity = 3 + unsigned((x.r >> 8) % 5);  // local0-7
  const tm t = utc(wall_ns);
  const unsigned pid = 1000 + unsigned(x.host * 7 % 30000);
  const unsigned status = (x.r >> 16) % 20 ? 200 : 503;
  if (f == Format::kSyslog5424) {
    fmt::format_to(o,
                   "<{}>1 {:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z host-{:03} {} {} access "
                   "[seq@32473 n=\"{}\"][req@32473 endpoint=\"{}\" region=\"{}\"] ",
                   facility * 8 + severity, t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
                   t.tm_sec, (wall_ns / 1000) % 1'000'000, x.host, x.name.service, pid, seq,
                   kEndpoints[x.endpoint], kRegions[x.region]);
  } else {
    fmt::format_to(o, "<{}>{} {:2} {:02}:{:02}:{:02} host-{:03} {}[{}]: seq={} ", facility * 8 + severity,
                   kMonths[t.tm_mon], t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, x.host, x.name.service, pid,
                   seq);
  }
  fmt::format_to(o, "GET {} {} {}ms user=u{}", kEndpoints[x.endpoint], status, x.r % 900,
                 (x.r >> 24) % 10000);
}

}  // namespace

bool parse_format(std::string_view name, Format& out) {
  for (const auto& [n, f] : kFormats)
    if (n == name) {
      out = f;
      return true;
    }
  return false;
}

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  for (const auto& [n, f] : kFormats) names.emplace_back(n);
  return names;
}

std::string_view format_name(Format f) {
  for (const auto& [n, g] : kFormats)
    if (g == f) return n;
  return "?";
}

void append_datagram(Format f, const Vocabulary& v, uint64_t seq, uint32_t lines, int64_t wall_ns,
                     std::string& out) {
  Out o(out);
  if (!multi_line(f)) lines = 1;
  for (uint32_t l = 0; l < lines; ++l) {
    if (l) out.push_back('\n');
    const Line x = line_of(v, seq, l);
    switch (f) {
      case Format::kStatsd: statsd_line(o, x, seq, l, true); break;
      case Format::kStatsdPlain: statsd_line(o, x, seq, l, false); break;
      case Format::kStatsdCounters: statsd_line(o, x, seq, l, false, 'c'); break;
      case Format::kInflux: influx_line(o, x, seq, l, wall_ns); break;
      case Format::kGraphite: graphite_line(o, x, seq, l, wall_ns); break;
      case Format::kSyslog5424:
      case Format::kSyslog3164: syslog_line(o, f, x, seq, wall_ns); break;
    }
  }
}

std::string Mix::parse(std::string_view spec) {
  weights_.clear();
  total_ = 0;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t eq = item.find('=');
    Format f;
    uint32_t w = 0;
    if (eq == std::string_view::npos || !parse_format(item.substr(0, eq), f))
      return "'" + std::string(item) +
             "': want FORMAT=WEIGHT with FORMAT one of " + fmt::format("{}", fmt::join(format_names(), ", "));
    const std::string_view num = item.substr(eq + 1);
    if (std::from_chars(num.data(), num.data() + num.size(), w).ptr != num.data() + num.size() || w == 0)
      return "'" + std::string(item) + "': the weight must be a positive integer";
    weights_.emplace_back(f, w);
    total_ += w;
  }
  return weights_.empty() ? "empty mix" : "";
}

Format Mix::pick(uint64_t seq) const {
  if (weights_.size() == 1) return weights_[0].first;
  uint64_t at = mix64(seq ^ 0x5EEDull) % total_;
  for (const auto& [f, w] : weights_) {
    if (at < w) return f;
    at -= w;
  }
  return weights_.back().first;
}

}  // namespace ringest::loadgen
