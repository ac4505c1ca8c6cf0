// ControlRequests: what the outside world asks of a running daemon, delivered
// to the one thread that waits for them. On Linux these are signals (SIGINT and
// SIGTERM stop, SIGHUP reloads); on Windows Ctrl+C / Ctrl+Break / console close
// and the service manager's STOP, SHUTDOWN and PRESHUTDOWN stop, PARAMCHANGE
// reloads. Each platform implements it in its own directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ringest {

enum class ControlRequest { kNone, kReload, kStop };

class ControlRequests {
 public:
  // Takes the requests over from the default handling. Construct it before any
  // other thread exists (on Linux the signal mask is inherited).
  ControlRequests();
  ~ControlRequests();
  ControlRequests(const ControlRequests&) = delete;
  ControlRequests& operator=(const ControlRequests&) = delete;

  // The next request; kNone when timeout_ms (< 0: no limit) passed first.
  ControlRequest wait(int64_t timeout_ms);
  // Who asked, for the log: "SIGTERM", "Ctrl+C", "service stop", ...
  const std::string& source() const { return source_; }
  // How long the asker lets the process live after asking, in ms (Windows
  // ends a program about 5 s after its console closes), or -1: no limit.
  int64_t grace_ms() const { return grace_ms_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string source_;
  int64_t grace_ms_ = -1;
};

}  // namespace ringest
