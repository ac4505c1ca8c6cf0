// ControlRequests on Linux: SIGINT/SIGTERM/SIGHUP taken synchronously by the
// waiting thread (blocked everywhere, so no other thread ever sees them).
#include <signal.h>
#include <time.h>

#include "daemon/control.h"

namespace ringest {

struct ControlRequests::State {
  sigset_t signals;
};

ControlRequests::ControlRequests() : state_(std::make_unique<State>()) {
  sigemptyset(&state_->signals);
  sigaddset(&state_->signals, SIGINT);
  sigaddset(&state_->signals, SIGTERM);
  sigaddset(&state_->signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &state_->signals, nullptr);
}

ControlRequests::~ControlRequests() = default;

ControlRequest ControlRequests::wait(int64_t timeout_ms) {
  int sig = 0;
  if (timeout_ms >= 0) {
    timespec ts{static_cast<time_t>(timeout_ms / 1000), static_cast<long>((timeout_ms % 1000) * 1'000'000)};
    sig = sigtimedwait(&state_->signals, nullptr, &ts);
    if (sig < 0) return ControlRequest::kNone;  // timeout or EINTR
  } else if (sigwait(&state_->signals, &sig) != 0) {
    return ControlRequest::kNone;
  }
  source_ = sig == SIGHUP ? "SIGHUP" : sig == SIGINT ? "SIGINT" : "SIGTERM";
  return sig == SIGHUP ? ControlRequest::kReload : ControlRequest::kStop;
}

}  // namespace ringest
