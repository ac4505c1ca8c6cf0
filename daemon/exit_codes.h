// Exit codes of ringestd, from sysexits.h, so service managers and scripts can
// tell a configuration mistake (do not restart) from a transient failure.
#pragma once

namespace ringest::exit_code {
constexpr int kOk = 0;
constexpr int kUsage = 64;     // EX_USAGE: bad command line
constexpr int kSoftware = 70;  // EX_SOFTWARE: an engine could not run
constexpr int kOsErr = 71;     // EX_OSERR: socket or bind failure
constexpr int kIoErr = 74;     // EX_IOERR: the data directory is unusable
constexpr int kSinkDropped = 75;  // EX_TEMPFAIL: stopped cleanly, but the log dropped datagrams (disk full, write errors)
constexpr int kConfig = 78;    // EX_CONFIG: the configuration is invalid
}  // namespace ringest::exit_code
