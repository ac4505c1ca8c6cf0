// RFC 5424 over UDP (RFC 5426): one message per datagram, the whole datagram
// is the message (at least 2048 bytes are accepted, up to kMaxMessageBytes).
// It follows go-syslog's RFC 5424 machine (influxdata/go-syslog), which the
// conformance rows come from (docs/conformance.md):
//
//   <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
//   PRI        "<0>".."<191>", no leading zero
//   VERSION    1..999, no leading zero
//   TIMESTAMP  "-" or RFC 3339: YYYY-MM-DDThh:mm:ss[.1-6 digits](Z|+hh:mm|-hh:mm),
//              uppercase T and Z, a real calendar date, offset hours below 24; a time
//              outside int64 nanoseconds (after 2262-04-11) is rejected, as
//              points cannot hold it (go-syslog, with Go's wider times, accepts it)
//   HOSTNAME   "-" or 1..255, APP-NAME 1..48, PROCID 1..128, MSGID 1..32
//              bytes of printable US-ASCII (33..126)
//   SD         "-" or one or more [SD-ID *(SP NAME="VALUE")]: SD-ID and NAME
//              1..32 printable US-ASCII bytes other than '=', ']', '"';
//              VALUE UTF-8 where '"', '\' and ']' must be escaped with '\';
//              a '\' before any other byte is kept. A repeated SD-ID rejects
//              the message.
//   MSG        any bytes, kept as they are (BOM and newlines included); with
//              compliant_msg, text after a BOM must be valid UTF-8.
// Exactly one space separates the fields; anything else rejects the message
// with the reason of the field where parsing stopped.
#include <cstring>

#include "daemon/formats/syslog.h"
#include "daemon/formats/text.h"

namespace ringest {
namespace {

using R = SyslogReason;

bool printable(char c) {
  return c >= 33 && c <= 126;
}
bool sd_name_char(char c) {
  return printable(c) && c != '=' && c != ']' && c != '"';
}

// A header field: "-" (nil, returns empty) or 1..max printable bytes, then a
// space (or the end of the datagram when `last_ok`).
bool header_field(std::string_view d, size_t& i, size_t max, std::string_view& out) {
  size_t start = i;
  while (i < d.size() && printable(d[i]) && i - start <= max) ++i;
  size_t n = i - start;
  if (n == 0 || n > max) return false;
  if (i == d.size() || d[i] != ' ') return false;
  out = d.substr(start, n);
  if (out == "-") out = {};
  ++i;
  return true;
}

}  // namespace

Rfc5424Parser::Rfc5424Parser(const ParserOptions& /*opts*/, bool compliant_msg)
    : compliant_msg_(compliant_msg) {}

void Rfc5424Parser::parse(std::string_view d, const ParseContext& ctx, PointSink& sink) {
  SyslogReason why;
  if (!parse_message(d, ctx, sink, why)) sink.reject(static_cast<uint16_t>(why), 1, d);
}

bool Rfc5424Parser::parse_message(std::string_view d, const ParseContext& ctx, PointSink& sink,
                                  SyslogReason& why) {
  auto fail = [&why](R r) {
    why = r;
    return false;
  };
  if (d.size() > kMaxMessageBytes) return fail(R::kTooLong);
  begin();
  Message m;
  size_t i = 0;
  if (!syslog_detail::parse_priority(d, i, m.priority)) return fail(R::kInvalidPriority);

  {
    size_t start = i;
    int v = 0;
    while (i < d.size() && d[i] >= '0' && d[i] <= '9' && i - start < 4) v = v * 10 + (d[i++] - '0');
    size_t n = i - start;
    if (n == 0 || n > 3 || d[start] == '0' || i == d.size() || d[i] != ' ') {
      return fail(R::kInvalidVersion);
    }
    m.version = v;
    ++i;
  }

  if (i < d.size() && d[i] == '-') {
    ++i;
  } else {
    if (!syslog_detail::parse_rfc3339(d, i, m.time_ns)) return fail(R::kInvalidTimestamp);
    m.has_time = true;
  }
  if (i == d.size() || d[i] != ' ') return fail(R::kInvalidTimestamp);
  ++i;

  if (!header_field(d, i, 255, m.hostname)) return fail(R::kInvalidHostname);
  if (!header_field(d, i, 48, m.appname)) return fail(R::kInvalidAppname);
  if (!header_field(d, i, 128, m.procid)) return fail(R::kInvalidProcid);
  if (!header_field(d, i, 32, m.msgid)) return fail(R::kInvalidMsgid);

  if (i < d.size() && d[i] == '-') {
    ++i;
  } else if (!parse_sd(d, i, why)) {
    return false;
  }
  if (i < d.size()) {
    if (d[i] != ' ') return fail(R::kInvalidStructuredData);
    m.message = d.substr(i + 1);
    if (compliant_msg_ && m.message.starts_with("\xEF\xBB\xBF") && !text::valid_utf8(m.message.substr(3))) {
      return fail(R::kInvalidMessage);
    }
  }
  emit(m, ctx, sink);
  return true;
}

bool Rfc5424Parser::parse_sd(std::string_view d, size_t& i, SyslogReason& why) {
  why = R::kInvalidStructuredData;
  constexpr size_t kMaxIds = kMaxFields;
  std::string_view ids[kMaxIds];
  size_t n_ids = 0;
  if (i == d.size() || d[i] != '[') return false;
  while (i < d.size() && d[i] == '[') {
    ++i;
    size_t s0 = i;
    while (i < d.size() && sd_name_char(d[i]) && i - s0 <= 32) ++i;
    std::string_view id = d.substr(s0, i - s0);
    if (id.empty() || id.size() > 32) return false;
    for (size_t k = 0; k < n_ids; ++k) {
      if (ids[k] == id) {
        why = R::kDuplicateSdId;
        return false;
      }
    }
    if (n_ids == kMaxIds) {
      why = R::kTooManyParams;
      return false;
    }
    ids[n_ids++] = id;
    bool any_param = false;
    while (i < d.size() && d[i] == ' ') {
      ++i;
      size_t p0 = i;
      while (i < d.size() && sd_name_char(d[i]) && i - p0 <= 32) ++i;
      std::string_view name = d.substr(p0, i - p0);
      if (name.empty() || name.size() > 32) return false;
      if (i + 1 >= d.size() || d[i] != '=' || d[i + 1] != '"') return false;
      i += 2;
      // The value, unescaped into scratch.
      char* out = scratch_tail();
      size_t n = 0;
      bool closed = false;
      while (i < d.size()) {
        char c = d[i];
        if (c == '"') {
          closed = true;
          ++i;
          break;
        }
        if (c == ']') return false;  // must be escaped
        if (c == '\\' && i + 1 < d.size() && (d[i + 1] == '"' || d[i + 1] == '\\' || d[i + 1] == ']')) {
          out[n++] = d[i + 1];
          i += 2;
          continue;
        }
        out[n++] = c;
        ++i;
      }
      if (!closed) return false;
      std::string_view value(out, n);
      if (!text::valid_utf8(value)) return false;
      scratch_commit(n);
      if (!add_sd_field(id, name, value)) {
        why = R::kTooManyParams;
        return false;
      }
      any_param = true;
    }
    if (i == d.size() || d[i] != ']') return false;
    ++i;
    if (!any_param && !add_sd_flag(id)) {
      why = R::kTooManyParams;
      return false;
    }
  }
  return true;
}

}  // namespace ringest
