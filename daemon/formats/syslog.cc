// Syslog: what the three syslog formats share — the priority, RFC 3339 times,
// and the mapping onto points, which is Telegraf's (inputs.syslog):
//
//   measurement  syslog
//   tags         severity  emerg alert crit err warning notice info debug
//                facility  kern user mail daemon auth syslog lpr news uucp cron
//                          authpriv ftp ntp security console solaris-cron
//                          local0..local7
//                hostname, appname   when the message has them (not "-")
//   fields       version        int, RFC 5424 only
//                severity_code  int 0..7;  facility_code  int 0..23
//                timestamp      int, the message's own time in ns, when it has one
//                procid, msgid  string, when present
//                message        string, when not empty (bytes as received,
//                               a BOM included)
//                <sd-id>_<param>  string, one per structured-data parameter
//                <sd-id>        bool true, for an element without parameters
//   time         the message's time, else the receive time
//
// "syslog" picks RFC 5424 when "<PRI>" is followed by 1-3 digits and a space,
// else RFC 3164 (whose timestamp starts with a month name, or with a 4-digit
// year and '-' in rsyslog's forwarding format).
#include "daemon/formats/syslog.h"

#include <cstdint>
#include <cstring>

#include "daemon/formats/text.h"

namespace ringest {
namespace {

constexpr std::string_view kReasonNames[] = {
    "too_long",        "invalid_priority", "invalid_version", "invalid_timestamp",       "invalid_hostname",
    "invalid_appname", "invalid_procid",   "invalid_msgid",   "invalid_structured_data", "duplicate_sd_id",
    "too_many_params", "invalid_message",
};
static_assert(std::size(kReasonNames) == static_cast<size_t>(SyslogReason::kCount));

constexpr std::string_view kSeverities[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};
constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at `i`.
bool digits(std::string_view d, size_t& i, int n, int& out) {
  if (d.size() - i < static_cast<size_t>(n)) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    if (!digit(d[i + k])) return false;
    v = v * 10 + (d[i + k] - '0');
  }
  i += n;
  out = v;
  return true;
}

bool expect(std::string_view d, size_t& i, char c) {
  if (i < d.size() && d[i] == c) {
    ++i;
    return true;
  }
  return false;
}

}  // namespace

namespace syslog_detail {

bool parse_priority(std::string_view d, size_t& i, int& out) {
  if (!expect(d, i, '<')) return false;
  size_t start = i;
  int v = 0;
  while (i < d.size() && digit(d[i]) && i - start < 3) v = v * 10 + (d[i++] - '0');
  size_t n = i - start;
  if (n == 0 || (n > 1 && d[start] == '0') || v > 191) return false;
  if (!expect(d, i, '>')) return false;
  out = v;
  return true;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool valid_date(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool parse_rfc3339(std::string_view d, size_t& i, int64_t& out_ns) {
  int y, mo, da, h, mi, s;
  if (!digits(d, i, 4, y) || !expect(d, i, '-') || !digits(d, i, 2, mo) || !expect(d, i, '-') ||
      !digits(d, i, 2, da) || !expect(d, i, 'T') || !digits(d, i, 2, h) || !expect(d, i, ':') ||
      !digits(d, i, 2, mi) || !expect(d, i, ':') || !digits(d, i, 2, s)) {
    return false;
  }
  if (!valid_date(y, mo, da) || h > 23 || mi > 59 || s > 59) return false;
  int64_t frac_ns = 0;
  if (expect(d, i, '.')) {
    int n = 0;
    int64_t scale = 100'000'000;
    while (i < d.size() && digit(d[i])) {
      if (++n > 6) return false;
      frac_ns += (d[i++] - '0') * scale;
      scale /= 10;
    }
    if (n == 0) return false;
  }
  int offset_s = 0;
  if (expect(d, i, 'Z')) {
  } else if (i < d.size() && (d[i] == '+' || d[i] == '-')) {
    int sign = d[i++] == '-' ? -1 : 1;
    int oh, om;
    if (!digits(d, i, 2, oh) || !expect(d, i, ':') || !digits(d, i, 2, om)) return false;
    if (oh > 23 || om > 59) return false;
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  int64_t secs = days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + s - offset_s;
  // Points keep int64 nanoseconds: 1677-09-21 to 2262-04-11.
  if (!text::scale(secs, 1'000'000'000, out_ns) || out_ns > INT64_MAX - frac_ns) return false;
  out_ns += frac_ns;
  return true;
}

bool looks_like_5424(std::string_view d) {
  size_t i = 0;
  int pri;
  if (!parse_priority(d, i, pri)) return false;
  size_t start = i;
  while (i < d.size() && digit(d[i]) && i - start < 4) ++i;
  return i > start && i - start <= 3 && i < d.size() && d[i] == ' ';
}

}  // namespace syslog_detail

SyslogBase::SyslogBase() : scratch_(new char[kScratchBytes]) {}

std::span<const std::string_view> SyslogBase::reasons() const {
  return kReasonNames;
}

void SyslogBase::begin() {
  n_sd_ = 0;
  scratch_used_ = 0;
}

std::string_view SyslogBase::keep(std::string_view a, std::string_view b, std::string_view c) {
  char* out = scratch_.get() + scratch_used_;
  size_t n = a.size() + b.size() + c.size();
  if (n > kScratchBytes - scratch_used_) return {};  // cannot happen: scratch holds 2 datagrams
  std::memcpy(out, a.data(), a.size());
  std::memcpy(out + a.size(), b.data(), b.size());
  std::memcpy(out + a.size() + b.size(), c.data(), c.size());
  scratch_used_ += n;
  return {out, n};
}

bool SyslogBase::add_sd_field(std::string_view sd_id, std::string_view param, std::string_view value) {
  if (kFixedFields + n_sd_ == kMaxFields) return false;
  fields_[kFixedFields + n_sd_++] = Field::string_(keep(sd_id, "_", param), value);
  return true;
}

bool SyslogBase::add_sd_flag(std::string_view sd_id) {
  if (kFixedFields + n_sd_ == kMaxFields) return false;
  fields_[kFixedFields + n_sd_++] = Field::bool_(sd_id, true);
  return true;
}

void SyslogBase::emit(const Message& m, const ParseContext& ctx, PointSink& sink) {
  const int severity = m.priority & 7, facility = m.priority >> 3;
  size_t nt = 0;
  tags_[nt++] = Tag{"severity", kSeverities[severity]};
  tags_[nt++] = Tag{"facility", kFacilities[facility]};
  if (!m.hostname.empty()) tags_[nt++] = Tag{"hostname", m.hostname};
  if (!m.appname.empty()) tags_[nt++] = Tag{"appname", m.appname};
  size_t nf = 0;
  if (m.version != 0) fields_[nf++] = Field::int_("version", m.version);
  fields_[nf++] = Field::int_("severity_code", severity);
  fields_[nf++] = Field::int_("facility_code", facility);
  if (m.has_time) fields_[nf++] = Field::int_("timestamp", m.time_ns);
  if (!m.procid.empty()) fields_[nf++] = Field::string_("procid", m.procid);
  if (!m.msgid.empty()) fields_[nf++] = Field::string_("msgid", m.msgid);
  if (!m.message.empty()) fields_[nf++] = Field::string_("message", m.message);
  static_assert(kFixedFields >= 7);
  for (size_t k = 0; k < n_sd_; ++k) fields_[nf + k] = fields_[kFixedFields + k];
  PointView p;
  p.measurement = "syslog";
  p.tags = std::span<const Tag>(tags_.data(), nt);
  p.fields = std::span<const Field>(fields_.data(), nf + n_sd_);
  p.time_ns = m.has_time ? m.time_ns : ctx.receive_ns;
  sink.point(p);
}

SyslogParser::SyslogParser(const ParserOptions& opts) : rfc5424_(opts), rfc3164_(opts) {}

void SyslogParser::parse(std::string_view d, const ParseContext& ctx, PointSink& sink) {
  if (syslog_detail::looks_like_5424(d)) {
    rfc5424_.parse(d, ctx, sink);
  } else {
    rfc3164_.parse(d, ctx, sink);
  }
}

}  // namespace ringest
