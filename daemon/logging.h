// Log set-up: one line per event on stderr, as text (default), JSON lines or
// logfmt. Under systemd (JOURNAL_STREAM set) text lines carry the
// "<priority>" prefix journald reads and no timestamp of their own.
#pragma once

#include <string>

namespace ringest {

// False (and nothing changed) for an unknown format or level.
bool setup_logging(const std::string& level, const std::string& format);
bool set_log_level(const std::string& level);

}  // namespace ringest
