// Linux control requests: signals, taken synchronously by the waiting thread.
#include <doctest/doctest.h>
#include <pthread.h>
#include <signal.h>

#include "daemon/control.h"

namespace ringest {

TEST_CASE("control: SIGHUP asks for a reload, SIGTERM and SIGINT for a stop") {
  ControlRequests control;  // blocks the three signals in this thread
  CHECK(control.wait(0) == ControlRequest::kNone);
  // Aimed at this thread, where they are blocked: they wait for wait().
  pthread_kill(pthread_self(), SIGHUP);
  CHECK(control.wait(1000) == ControlRequest::kReload);
  CHECK(control.source() == "SIGHUP");
  CHECK(control.grace_ms() == -1);  // a signal sets no deadline
  pthread_kill(pthread_self(), SIGTERM);
  CHECK(control.wait(1000) == ControlRequest::kStop);
  CHECK(control.source() == "SIGTERM");
  pthread_kill(pthread_self(), SIGINT);
  CHECK(control.wait(1000) == ControlRequest::kStop);
  CHECK(control.source() == "SIGINT");
  CHECK(control.wait(20) == ControlRequest::kNone);
}

}  // namespace ringest
