// What ringest-loadgen sends: datagrams in every format ringest ingests,
// with realistic metric names and tags and a sequence number in each line,
// so a reader of the log can tell exactly which datagrams were stored.
//
// Names come from a fixed vocabulary (service.component.metric, e.g.
// "checkout.db.latency_ms"); `names` bounds how many distinct names appear
// and `hosts` how many distinct host tag values — the cardinality a
// time-series backend would see. Everything is a pure function of the
// sequence number: two runs with the same options send the same bytes
// (apart from the wall-clock timestamps influx/graphite/syslog carry).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringest::loadgen {

enum class Format {
  kStatsd,       // DogStatsD: name:value|type[|@rate]|#tags — sequence in the tag seq
  kStatsdPlain,  // Etsy StatsD, no tags (for peers that take none) — no sequence number
  kStatsdCounters,  // counters only (what every StatsD daemon takes), no tags — no sequence number
  kInflux,       // InfluxDB line protocol — sequence in the tag seq
  kGraphite,     // Graphite plaintext with tags (path;tag=value value timestamp) — tag seq
  kSyslog5424,   // RFC 5424 — sequence in structured data [seq@32473 n="N"]
  kSyslog3164,   // RFC 3164 (BSD) — sequence as "seq=N" at the start of the message
};

inline constexpr std::pair<std::string_view, Format> kFormats[] = {
    {"statsd", Format::kStatsd},         {"statsd-plain", Format::kStatsdPlain},
    {"statsd-counters", Format::kStatsdCounters},
    {"influx", Format::kInflux},         {"graphite", Format::kGraphite},
    {"syslog5424", Format::kSyslog5424}, {"syslog3164", Format::kSyslog3164},
};

bool parse_format(std::string_view name, Format& out);
// Every format's name, in kFormats' order.
std::vector<std::string> format_names();
std::string_view format_name(Format f);
// Syslog carries one message per datagram (RFC 5426); other formats pack lines with '\n'.
inline bool multi_line(Format f) {
  return f != Format::kSyslog5424 && f != Format::kSyslog3164;
}

struct Vocabulary {
  uint32_t names = 100;  // distinct metric names
  uint32_t hosts = 20;   // distinct values of the host tag
};

// Appends datagram `seq` (lines line 0..lines-1) to `out`. `wall_ns` is the
// timestamp written where the format carries one.
void append_datagram(Format f, const Vocabulary& v, uint64_t seq, uint32_t lines, int64_t wall_ns,
                     std::string& out);

// A weighted mix of formats ("statsd=70,influx=20,syslog5424=10"), picked
// per datagram from a hash of its sequence number.
class Mix {
 public:
  // Returns an error message, empty on success.
  std::string parse(std::string_view spec);
  void set_single(Format f) { weights_ = {{f, 1}}, total_ = 1; }
  Format pick(uint64_t seq) const;

 private:
  std::vector<std::pair<Format, uint32_t>> weights_;
  uint64_t total_ = 0;
};

}  // namespace ringest::loadgen
