// RFC 3164 (BSD syslog) over UDP: one message per datagram. The format was
// documented after the fact and senders vary, so the parser is strict where
// the meaning is clear and lenient elsewhere:
//
//   <PRI>TIMESTAMP SP [HOSTNAME SP] [TAG] MSG
//   PRI        "<0>".."<191>", no leading zero
//   TIMESTAMP  "Mmm dd hh:mm:ss" (English month abbreviation; the day is
//              1..31, space-padded "Aug  7" or not "Aug 7"), or an RFC 3339
//              time as RFC 5424 allows it (rsyslog's forwarding format).
//              "Mmm dd" has no year: the year is the one that puts the time
//              closest to the receive time (so "Dec 31 23:59:59" received on
//              1 January is last year's, and a sender a little ahead of us at
//              New Year gets next year's). It has no zone either: UTC.
//   HOSTNAME   the first word after the time, unless that word is a TAG
//              (a sender like `logger` may leave the hostname out); 1..255
//              printable US-ASCII bytes, else the message has no hostname
//              and that word starts the MSG.
//   TAG        APP-NAME ["[" PROCID "]"] ":" followed by a space or the end;
//              APP-NAME 1..48 printable bytes other than '[', ']', ':';
//              PROCID 1..128 printable bytes other than ']'. A word that is
//              not a TAG starts the MSG.
//   MSG        the rest; trailing NUL bytes (sent by `logger`) and one
//              trailing newline are dropped.
// An invalid PRI or TIMESTAMP rejects the message (invalid_priority,
// invalid_timestamp); nothing else does.
#include <cstring>

#include "daemon/formats/syslog.h"

namespace ringest {
namespace {

using R = SyslogReason;

bool printable(char c) {
  return c >= 33 && c <= 126;
}

int month_of(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int m = 0; m < 12; ++m) {
    if (s == kMonths[m]) return m + 1;
  }
  return 0;
}

bool two_digits(std::string_view d, size_t& i, int& out) {
  if (d.size() - i < 2 || d[i] < '0' || d[i] > '9' || d[i + 1] < '0' || d[i + 1] > '9') return false;
  out = (d[i] - '0') * 10 + (d[i + 1] - '0');
  i += 2;
  return true;
}

// "Mmm dd hh:mm:ss", the year inferred from `receive_ns`.
bool parse_bsd_time(std::string_view d, size_t& i, int64_t receive_ns, int64_t& out_ns) {
  if (d.size() - i < 15) return false;
  int month = month_of(d.substr(i, 3));
  if (month == 0 || d[i + 3] != ' ') return false;
  i += 4;
  int day = 0;
  if (d[i] == ' ') {
    ++i;
    if (d[i] < '1' || d[i] > '9') return false;
    day = d[i++] - '0';
  } else {
    if (d[i] < '0' || d[i] > '9') return false;
    day = d[i++] - '0';
    if (i < d.size() && d[i] >= '0' && d[i] <= '9') day = day * 10 + (d[i++] - '0');
    if (day < 1 || day > 31) return false;
  }
  int h, mi, s;
  if (i == d.size() || d[i++] != ' ') return false;
  if (!two_digits(d, i, h) || i == d.size() || d[i++] != ':' || !two_digits(d, i, mi) || i == d.size() ||
      d[i++] != ':' || !two_digits(d, i, s)) {
    return false;
  }
  if (h > 23 || mi > 59 || s > 60) return false;
  // The receive year, from the civil date of receive_ns.
  int64_t days = receive_ns / 86'400'000'000'000 - (receive_ns % 86'400'000'000'000 < 0);
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t year = yoe + era * 400 + (mp >= 10 ? 1 : 0);
  bool found = false;
  int64_t best = 0;
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    if (!syslog_detail::valid_date(static_cast<int>(y), month, day)) continue;  // Feb 29
    int64_t t =
        (syslog_detail::days_from_civil(y, month, day) * 86400 + h * 3600 + mi * 60 + s) * 1'000'000'000;
    auto dist = [receive_ns](int64_t x) { return x > receive_ns ? x - receive_ns : receive_ns - x; };
    if (!found || dist(t) < dist(best)) best = t;
    found = true;
  }
  if (!found) return false;
  out_ns = best;
  return true;
}

// APP-NAME ["[" PROCID "]"] ":" at the start of `w`, a whole word.
bool parse_tag(std::string_view w, std::string_view& app, std::string_view& procid) {
  if (w.size() < 2 || w.back() != ':') return false;
  w.remove_suffix(1);
  size_t open = w.find('[');
  std::string_view name = w.substr(0, open);
  if (name.empty() || name.size() > 48) return false;
  for (char c : name) {
    if (!printable(c) || c == ']' || c == ':') return false;
  }
  std::string_view pid;
  if (open != std::string_view::npos) {
    if (w.back() != ']') return false;
    pid = w.substr(open + 1, w.size() - open - 2);
    if (pid.empty() || pid.size() > 128) return false;
    for (char c : pid) {
      if (!printable(c) || c == ']' || c == '[') return false;
    }
  }
  app = name;
  procid = pid;
  return true;
}

std::string_view word_at(std::string_view d, size_t i) {
  size_t end = d.find(' ', i);
  return d.substr(i, (end == std::string_view::npos ? d.size() : end) - i);
}

}  // namespace

Rfc3164Parser::Rfc3164Parser(const ParserOptions& /*opts*/) {}

void Rfc3164Parser::parse(std::string_view d, const ParseContext& ctx, PointSink& sink) {
  SyslogReason why;
  if (!parse_message(d, ctx, sink, why)) sink.reject(static_cast<uint16_t>(why), 1, d);
}

bool Rfc3164Parser::parse_message(std::string_view d, const ParseContext& ctx, PointSink& sink,
                                  SyslogReason& why) {
  auto fail = [&why](R r) {
    why = r;
    return false;
  };
  if (d.size() > kMaxMessageBytes) return fail(R::kTooLong);
  begin();
  while (!d.empty() && d.back() == '\0') d.remove_suffix(1);
  if (!d.empty() && d.back() == '\n') d.remove_suffix(1);
  if (!d.empty() && d.back() == '\r') d.remove_suffix(1);
  Message m;
  size_t i = 0;
  if (!syslog_detail::parse_priority(d, i, m.priority)) return fail(R::kInvalidPriority);
  if (i < d.size() && d[i] >= '0' && d[i] <= '9') {
    if (!syslog_detail::parse_rfc3339(d, i, m.time_ns)) return fail(R::kInvalidTimestamp);
  } else if (!parse_bsd_time(d, i, ctx.receive_ns, m.time_ns)) {
    return fail(R::kInvalidTimestamp);
  }
  m.has_time = true;
  if (i < d.size() && d[i] != ' ') return fail(R::kInvalidTimestamp);
  if (i < d.size()) ++i;

  std::string_view w = word_at(d, i);
  if (!parse_tag(w, m.appname, m.procid)) {
    bool host = !w.empty() && w.size() <= 255;
    for (char c : w) host = host && printable(c);
    if (host) {
      m.hostname = w;
      i += w.size();
      if (i < d.size()) ++i;
      w = word_at(d, i);
      if (!parse_tag(w, m.appname, m.procid)) w = {};
    } else {
      w = {};
    }
  }
  if (!m.appname.empty()) {
    i += w.size();
    if (i < d.size()) ++i;  // the space after "tag:"
  }
  m.message = d.substr(i);
  emit(m, ctx, sink);
  return true;
}

}  // namespace ringest
