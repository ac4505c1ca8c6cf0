// Syslog over UDP (RFC 5426: one message per datagram): RFC 5424, RFC 3164
// (BSD syslog, including the variants `logger` and rsyslog send), and
// "syslog", which tells the two apart per datagram. The grammars and every
// rejection rule are written down at the top of syslog5424.cc and
// syslog3164.cc, the mapping onto points (Telegraf's) at the top of
// syslog.cc; docs/formats.md summarises them.
//
// Threading: one parser per parser shard, used by that thread only. Fields
// and the scratch buffer (unescaped structured-data values and their keys)
// are owned by the object and sized in the constructor, so parse() does no
// heap allocation; the points it emits are views valid only during the
// PointSink call.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "daemon/formats/parser.h"

namespace ringest {

// Why a message was rejected; shared by the three syslog formats. The values
// index reasons(); the names are metric label values.
enum class SyslogReason : uint16_t {
  kTooLong = 0,            // longer than kMaxMessageBytes
  kInvalidPriority,        // not "<0>".."<191>"
  kInvalidVersion,         // RFC 5424: not 1..999 followed by a space
  kInvalidTimestamp,       // not RFC 3339 (5424) / "Mmm dd hh:mm:ss" (3164), or a bad date
  kInvalidHostname,        // empty, too long (255), or a byte outside printable US-ASCII
  kInvalidAppname,         // same rule, at most 48 bytes
  kInvalidProcid,          // same rule, at most 128 bytes
  kInvalidMsgid,           // same rule, at most 32 bytes
  kInvalidStructuredData,  // not '-' or well-formed [id param="value" ...] elements
  kDuplicateSdId,          // the same SD-ID twice
  kTooManyParams,          // more structured-data params than fit a point
  kInvalidMessage,         // RFC 5424 with compliant_msg: text after a BOM is not UTF-8
  kCount
};

class SyslogBase : public Parser {
 public:
  static constexpr size_t kMaxMessageBytes = 65536;  // one UDP datagram
  static constexpr size_t kMaxFields = 128;

  std::span<const std::string_view> reasons() const override;

 protected:
  SyslogBase();
  // What one message holds; views into the datagram or the scratch buffer.
  struct Message {
    int priority = 0;
    int version = 0;  // 0: RFC 3164 (no version field)
    bool has_time = false;
    int64_t time_ns = 0;
    std::string_view hostname, appname, procid, msgid, message;
  };
  // Structured data goes straight into fields_ after the fixed ones.
  bool add_sd_field(std::string_view sd_id, std::string_view param, std::string_view value);
  bool add_sd_flag(std::string_view sd_id);
  void begin();  // resets fields and scratch for a new message
  void emit(const Message& m, const ParseContext& ctx, PointSink& sink);
  // Copies into scratch; the view stays valid until begin().
  std::string_view keep(std::string_view a, std::string_view b = {}, std::string_view c = {});
  char* scratch_tail() { return scratch_.get() + scratch_used_; }
  void scratch_commit(size_t n) { scratch_used_ += n; }

 private:
  std::array<Tag, 4> tags_;
  std::array<Field, kMaxFields> fields_;
  size_t n_sd_ = 0;  // structured-data fields, stored from fields_[kFixedFields]
  std::unique_ptr<char[]> scratch_;
  size_t scratch_used_ = 0;

 public:
  static constexpr size_t kFixedFields = 8;
  static constexpr size_t kScratchBytes = 2 * kMaxMessageBytes;
};

class Rfc5424Parser final : public SyslogBase {
 public:
  // compliant_msg: a MSG that starts with a BOM must be valid UTF-8 (RFC 5424
  // section 6.4); off by default, as in go-syslog and Telegraf.
  explicit Rfc5424Parser(const ParserOptions& opts, bool compliant_msg = false);
  std::string_view format() const override { return "rfc5424"; }
  void parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) override;
  // Parses one message (for the auto-detecting parser).
  bool parse_message(std::string_view d, const ParseContext& ctx, PointSink& sink, SyslogReason& why);

 private:
  bool parse_sd(std::string_view d, size_t& i, SyslogReason& why);
  bool compliant_msg_;
};

class Rfc3164Parser final : public SyslogBase {
 public:
  explicit Rfc3164Parser(const ParserOptions& opts);
  std::string_view format() const override { return "rfc3164"; }
  void parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) override;
  bool parse_message(std::string_view d, const ParseContext& ctx, PointSink& sink, SyslogReason& why);
};

// "syslog": RFC 5424 when the priority is followed by a version and a space,
// else RFC 3164.
class SyslogParser final : public Parser {
 public:
  explicit SyslogParser(const ParserOptions& opts);
  std::string_view format() const override { return "syslog"; }
  std::span<const std::string_view> reasons() const override { return rfc5424_.reasons(); }
  void parse(std::string_view datagram, const ParseContext& ctx, PointSink& sink) override;

 private:
  Rfc5424Parser rfc5424_;
  Rfc3164Parser rfc3164_;
};

namespace syslog_detail {
// "<PRI>" at the start of `d`: 0..191, no leading zero. Advances `i`.
bool parse_priority(std::string_view d, size_t& i, int& out);
// An RFC 3339 timestamp as RFC 5424 restricts it (uppercase T and Z, at most
// six fraction digits, real calendar dates), within int64 nanoseconds
// (1677-09-21 .. 2262-04-11). Advances `i` past it.
bool parse_rfc3339(std::string_view d, size_t& i, int64_t& out_ns);
// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
bool valid_date(int y, int m, int d);
// Whether a datagram holds RFC 5424 (a version and a space after "<PRI>").
bool looks_like_5424(std::string_view d);
}  // namespace syslog_detail

}  // namespace ringest
