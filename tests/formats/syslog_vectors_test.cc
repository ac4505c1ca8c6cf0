// Runs every syslog row of the conformance vectors (vectors/syslog): go-syslog's
// RFC 5424 and RFC 3164 machine tests and tcpdump's captured payloads. Every
// row must agree on accept/reject, and on accepted rows every asserted key
// (an absent key means the message has no such part). RFC 5424 rows marked
// options.compliant_msg run with that option. Each row is also run through
// the auto-detecting "syslog" format, which must decide the same.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "daemon/formats/syslog.h"
#include "daemon/formats/text.h"
#include "tests/formats/recording_sink.h"
#include "tests/support/json.h"

namespace ringest {
namespace {

using testing::Json;
using testing::OwnedPoint;
using testing::RecordingSink;

// 2026-06-15T12:00:00Z: RFC 3164 years are inferred against this.
constexpr int64_t kReceiveNs = 1'781'524'800'000'000'000;

std::string tag_or_empty(const OwnedPoint& p, std::string_view k) {
  return p.tag(k).value_or("");
}

std::string string_field(const OwnedPoint& p, std::string_view k) {
  const testing::OwnedField* f = p.field(k);
  return f ? f->s : "";
}

// "MM-DDThh:mm:ss" of a time in ns.
std::string month_day_time(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t days = secs / 86400, rem = secs % 86400;
  int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d-%02dT%02d:%02d:%02d", static_cast<int>(m), static_cast<int>(d),
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

// The vectors are JSON written by Go, which replaces each byte that is not
// part of valid UTF-8 with U+FFFD; compare our bytes in that form.
std::string as_go_json_text(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + n <= s.size() && text::valid_utf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

// "" when the point matches, else what differs.
std::string compare(const OwnedPoint& p, const Json& e) {
  const int pri = static_cast<int>(e.find("Priority")->num);
  const testing::OwnedField* sev = p.field("severity_code");
  const testing::OwnedField* fac = p.field("facility_code");
  if (!sev || !fac || sev->i != pri % 8 || fac->i != pri / 8) return "priority";
  if (const Json* f = e.find("Facility"); f && fac->i != static_cast<int64_t>(f->num)) return "facility";
  if (const Json* s = e.find("Severity"); s && sev->i != static_cast<int64_t>(s->num)) return "severity";
  if (e.find("Version") == nullptr && e.find("Timestamp") == nullptr && e.find("Hostname") == nullptr &&
      p.tags.size() + p.fields.size() > 0 && e.members.size() == 3) {
    return "";  // tcpdump rows assert the priority only
  }
  const Json* v = e.find("Version");
  const testing::OwnedField* vf = p.field("version");
  if ((v != nullptr) != (vf != nullptr) || (v && vf->i != static_cast<int64_t>(v->num))) return "version";
  const Json* ts = e.find("Timestamp");
  const testing::OwnedField* tf = p.field("timestamp");
  if ((ts != nullptr) != (tf != nullptr)) return "timestamp presence";
  if (ts) {
    if (ts->str.starts_with("0000-")) {
      if (month_day_time(tf->i) != ts->str.substr(5, 14)) return "timestamp " + month_day_time(tf->i);
    } else {
      size_t i = 0;
      int64_t want = 0;
      if (!syslog_detail::parse_rfc3339(ts->str, i, want) || want != tf->i) return "timestamp";
    }
    if (p.time_ns != tf->i) return "point time";
  }
  auto str = [](const Json* j) { return j ? j->str : std::string(); };
  if (tag_or_empty(p, "hostname") != str(e.find("Hostname"))) return "hostname";
  if (tag_or_empty(p, "appname") != str(e.find("Appname"))) return "appname";
  if (string_field(p, "procid") != str(e.find("ProcID"))) return "procid";
  if (string_field(p, "msgid") != str(e.find("MsgID"))) return "msgid";
  if (as_go_json_text(string_field(p, "message")) != str(e.find("Message"))) return "message";
  size_t want_sd = 0;
  if (const Json* sd = e.find("StructuredData")) {
    for (const auto& [id, params] : sd->members) {
      if (params.members.empty()) {
        ++want_sd;
        const testing::OwnedField* f = p.field(id);
        if (!f || f->type != FieldType::kBool || !f->b) return "sd element " + id;
      }
      for (const auto& [name, value] : params.members) {
        ++want_sd;
        // The last of equal keys: go-syslog keeps the last of repeated params.
        const testing::OwnedField* f = nullptr;
        for (const auto& of : p.fields) {
          if (of.key == id + "_" + name) f = &of;
        }
        if (!f || f->s != value.str) return "sd param " + id + "_" + name;
      }
    }
  }
  size_t fixed = 0;
  for (std::string_view k :
       {"version", "severity_code", "facility_code", "timestamp", "procid", "msgid", "message"}) {
    fixed += p.field(k) != nullptr;
  }
  if (p.fields.size() - fixed < want_sd) return "sd count";
  return "";
}

void run_file(const std::string& name, size_t want_rows) {
  std::ifstream in(std::string(RINGEST_VECTORS_DIR) + "/syslog/" + name);
  REQUIRE(in.good());
  RecordingSink sink, auto_sink;
  SyslogParser auto_parser{ParserOptions{}};
  size_t rows = 0, agreed = 0;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    auto row = testing::parse_json(text);
    REQUIRE(row.has_value());
    auto bytes = testing::decode_base64(row->find("input_b64")->str);
    REQUIRE(bytes.has_value());
    const bool is5424 = row->find("format")->str == "rfc5424";
    const Json* opts = row->find("options");
    const bool compliant = opts && opts->find("compliant_msg") && opts->find("compliant_msg")->b;
    sink.clear();
    if (is5424) {
      Rfc5424Parser p{ParserOptions{}, compliant};
      p.parse(*bytes, ParseContext{kReceiveNs}, sink);
    } else {
      Rfc3164Parser p{ParserOptions{}};
      p.parse(*bytes, ParseContext{kReceiveNs}, sink);
    }
    ++rows;
    std::string detail;
    if (const Json* err = row->find("error"); err && err->b) {
      if (sink.rejects.empty()) detail = "accepted, go-syslog rejects";
    } else if (!sink.rejects.empty() || sink.points.size() != 1) {
      detail = "rejected (" + std::string(auto_parser.reasons()[sink.rejects.at(0).reason]) + ")";
    } else {
      detail = compare(sink.points[0], *row->find("expect"));
    }
    CHECK_MESSAGE(detail.empty(), name << ":" << rows << " `" << *bytes << "`: " << detail);
    if (detail.empty()) ++agreed;
    if (!compliant) {
      auto_sink.clear();
      auto_parser.parse(*bytes, ParseContext{kReceiveNs}, auto_sink);
      CHECK_MESSAGE(auto_sink.points.size() == sink.points.size(), name << ":" << rows);
      CHECK_MESSAGE(auto_sink.rejects.size() == sink.rejects.size(), name << ":" << rows);
    }
  }
  MESSAGE(name << ": " << rows << " rows, " << agreed << " agree");
  CHECK(rows == want_rows);
}

TEST_CASE("syslog: go-syslog RFC 5424 rows") {
  run_file("go-syslog_rfc5424.jsonl", 441);
}
TEST_CASE("syslog: go-syslog RFC 3164 rows") {
  run_file("go-syslog_rfc3164.jsonl", 8);
}
TEST_CASE("syslog: tcpdump payloads") {
  run_file("tcpdump_syslog_udp_payloads.jsonl", 4);
}

}  // namespace
}  // namespace ringest
