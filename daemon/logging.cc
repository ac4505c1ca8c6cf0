#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <utility>
#include <vector>

namespace ringest {
namespace {

// The message, escaped for a JSON string or a quoted logfmt value.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            int n = std::snprintf(buf, sizeof buf, "\\u%04x", c);
            dest.append(buf, buf + n);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedMessage>(); }
};

// The syslog priority journald expects in front of a line.
class JournalPriority : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static const char* kPrio[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    std::string_view p = kPrio[static_cast<int>(msg.level)];
    dest.append(p.data(), p.data() + p.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriority>(); }
};

}  // namespace

bool set_log_level(const std::string& level) {
  auto l = spdlog::level::from_str(level);
  if (l == spdlog::level::off && level != "off") return false;
  spdlog::set_level(l);
  return true;
}

bool setup_logging(const LoggingOptions& o, std::string* error) {
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>('*').add_flag<JournalPriority>('&');
  if (o.format == "json") {
    formatter->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
  } else if (o.format == "logfmt") {
    formatter->set_pattern(R"(time=%Y-%m-%dT%H:%M:%S.%e%z level=%l msg="%*")");
  } else if (o.format == "text") {
    bool journal = o.file.empty() && std::getenv("JOURNAL_STREAM");
    formatter->set_pattern(journal ? "%&%v" : "%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  } else {
    return fail("unknown log format '" + o.format + "'");
  }
  auto level = spdlog::level::from_str(o.level);
  if (level == spdlog::level::off && o.level != "off") return fail("unknown log level '" + o.level + "'");

  spdlog::sink_ptr main_sink;
  if (o.file.empty()) {
    main_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      main_sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(o.file, o.file_max_bytes, o.file_keep);
    } catch (const spdlog::spdlog_ex& e) {
      return fail("log file " + o.file + ": " + e.what());
    }
  }
  main_sink->set_formatter(std::move(formatter));
  std::vector<spdlog::sink_ptr> sinks{main_sink};
  if (o.system_log) {
    o.system_log->set_level(spdlog::level::warn);
    sinks.push_back(o.system_log);
  }
  auto logger = std::make_shared<spdlog::logger>("ringestd", sinks.begin(), sinks.end());
  // A file is read after a crash: every line is written through.
  if (!o.file.empty()) logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  spdlog::set_level(level);
  return true;
}

}  // namespace ringest
