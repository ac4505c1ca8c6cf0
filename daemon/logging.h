// Log set-up: one line per event on stderr, as text (default), JSON lines or
// logfmt. Under systemd (JOURNAL_STREAM set) text lines carry the
// "<priority>" prefix journald reads and no timestamp of their own. A log
// file (a service has no console) takes the place of stderr, rotated by size;
// a system log sink (the Windows Event Log) also receives warnings and worse.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace spdlog::sinks {
class sink;
}

namespace ringest {

struct LoggingOptions {
  std::string level = "info";
  std::string format = "text";
  std::string file;  // empty: stderr
  size_t file_max_bytes = 64 << 20;
  size_t file_keep = 3;  // rotated files kept beside the live one
  std::shared_ptr<spdlog::sinks::sink> system_log;  // warnings and worse; may be null
};

// False (and nothing changed) for an unknown format or level; `error` says why
// (also for a log file that cannot be opened).
bool setup_logging(const LoggingOptions& options, std::string* error = nullptr);
bool set_log_level(const std::string& level);

}  // namespace ringest
