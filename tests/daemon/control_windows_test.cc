// Windows control requests: what the service control handler makes of the
// manager's controls. (Ctrl+C in a console is exercised end to end by the
// wine_e2e test: Wine delivers SIGINT as CTRL_C_EVENT.)
#include <windows.h>

#include <doctest/doctest.h>

#include "daemon/control.h"
#include "daemon/windows/control_mailbox.h"
#include "daemon/windows/service_main.h"

namespace ringest {

TEST_CASE("control: STOP, SHUTDOWN and PRESHUTDOWN stop, PARAMCHANGE reloads") {
  ControlRequests control;
  struct Case {
    DWORD control;
    ControlRequest request;
    const char* source;
  };
  for (const Case& c : {Case{SERVICE_CONTROL_STOP, ControlRequest::kStop, "service stop"},
                        Case{SERVICE_CONTROL_SHUTDOWN, ControlRequest::kStop, "system shutdown"},
                        Case{SERVICE_CONTROL_PRESHUTDOWN, ControlRequest::kStop, "system pre-shutdown"},
                        Case{SERVICE_CONTROL_PARAMCHANGE, ControlRequest::kReload, "service paramchange"}}) {
    CAPTURE(c.source);
    CHECK(windows::handle_service_control(c.control) == NO_ERROR);
    CHECK(control.wait(1000) == c.request);
    CHECK(control.source() == c.source);
  }
  CHECK(windows::handle_service_control(SERVICE_CONTROL_INTERROGATE) == NO_ERROR);
  CHECK(windows::handle_service_control(SERVICE_CONTROL_PAUSE) == ERROR_CALL_NOT_IMPLEMENTED);
  CHECK(control.wait(50) == ControlRequest::kNone);  // neither asked for anything
}

TEST_CASE("control: a closing console asks for a stop with the little time Windows allows") {
  ControlRequests control;
  windows::post_control_request(ControlRequest::kStop, "console closed", windows::kConsoleGraceMs);
  CHECK(control.wait(1000) == ControlRequest::kStop);
  CHECK(control.source() == "console closed");
  CHECK(control.grace_ms() == windows::kConsoleGraceMs);
  CHECK(windows::handle_service_control(SERVICE_CONTROL_STOP) == NO_ERROR);
  CHECK(control.wait(1000) == ControlRequest::kStop);
  CHECK(control.grace_ms() == -1);  // the service manager waits as long as the service asks
}

}  // namespace ringest
