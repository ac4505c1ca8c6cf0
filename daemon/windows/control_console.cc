// ControlRequests on Windows: Ctrl+C, Ctrl+Break, a closing console window
// and system shutdown stop the daemon (drain first); the service control
// handler (service_main.cc) posts STOP/SHUTDOWN/PRESHUTDOWN and PARAMCHANGE
// into the same mailbox.
#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "daemon/control.h"
#include "daemon/windows/control_mailbox.h"

namespace ringest {
namespace {

struct Mailbox {
  std::mutex mu;
  std::condition_variable posted;
  std::condition_variable drained_cv;
  struct Posted {
    ControlRequest request;
    const char* source;
    int64_t grace_ms;
  };
  std::deque<Posted> requests;
  bool drained = false;
};

Mailbox& mailbox() {
  static Mailbox m;
  return m;
}

BOOL WINAPI on_console_event(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT: windows::post_control_request(ControlRequest::kStop, "Ctrl+C"); return TRUE;
    case CTRL_BREAK_EVENT: windows::post_control_request(ControlRequest::kStop, "Ctrl+Break"); return TRUE;
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      // Windows ends the process as soon as this returns: hold it until the
      // drain is over (Windows itself allows a few seconds at most).
      windows::post_control_request(ControlRequest::kStop,
                                    event == CTRL_CLOSE_EVENT ? "console closed" : "system shutdown",
                                    windows::kConsoleGraceMs);
      windows::wait_until_drained(20'000);
      return TRUE;
    default:
      // CTRL_LOGOFF_EVENT: a user logging off is no reason for a daemon to stop.
      return FALSE;
  }
}

}  // namespace

void windows::post_control_request(ControlRequest request, const char* source, int64_t grace_ms) {
  Mailbox& m = mailbox();
  {
    std::lock_guard lock(m.mu);
    m.requests.push_back({request, source, grace_ms});
  }
  m.posted.notify_one();
}

void windows::wait_until_drained(unsigned long timeout_ms) {
  Mailbox& m = mailbox();
  std::unique_lock lock(m.mu);
  m.drained_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return m.drained; });
}

struct ControlRequests::State {};

ControlRequests::ControlRequests() {
  Mailbox& m = mailbox();
  {
    std::lock_guard lock(m.mu);
    m.requests.clear();
    m.drained = false;
  }
  SetConsoleCtrlHandler(&on_console_event, TRUE);
}

ControlRequests::~ControlRequests() {
  Mailbox& m = mailbox();
  {
    std::lock_guard lock(m.mu);
    m.drained = true;
  }
  m.drained_cv.notify_all();
  SetConsoleCtrlHandler(&on_console_event, FALSE);
}

ControlRequest ControlRequests::wait(int64_t timeout_ms) {
  Mailbox& m = mailbox();
  std::unique_lock lock(m.mu);
  auto any = [&] { return !m.requests.empty(); };
  if (timeout_ms < 0) {
    m.posted.wait(lock, any);
  } else if (!m.posted.wait_for(lock, std::chrono::milliseconds(timeout_ms), any)) {
    return ControlRequest::kNone;
  }
  const Mailbox::Posted posted = m.requests.front();
  m.requests.pop_front();
  source_ = posted.source;
  grace_ms_ = posted.grace_ms;
  return posted.request;
}

}  // namespace ringest
