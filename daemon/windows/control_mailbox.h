// The process-wide mailbox behind ControlRequests on Windows: the console
// control handler and the service control handler run on threads of their own
// and post here; ControlRequests::wait takes the requests out.
#pragma once

#include <cstdint>

#include "daemon/control.h"

namespace ringest::windows {

// grace_ms: how long Windows lets the process live after this request, or -1.
void post_control_request(ControlRequest request, const char* source, int64_t grace_ms = -1);

// What Windows allows a console program after its window closes or the
// system shuts down before ending it.
constexpr int64_t kConsoleGraceMs = 5000;

// Blocks (up to timeout_ms) until the daemon has finished its drain: a console
// handler for a closing window must not return before, or Windows ends the
// process mid-drain.
void wait_until_drained(unsigned long timeout_ms);

}  // namespace ringest::windows
