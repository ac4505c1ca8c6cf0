// The process-wide mailbox behind ControlRequests on Windows: the console
// control handler and the service control handler run on threads of their own
// and post here; ControlRequests::wait takes the requests out.
#pragma once

#include "daemon/control.h"

namespace ringest::windows {

void post_control_request(ControlRequest request, const char* source);

// Blocks (up to timeout_ms) until the daemon has finished its drain: a console
// handler for a closing window must not return before, or Windows ends the
// process mid-drain.
void wait_until_drained(unsigned long timeout_ms);

}  // namespace ringest::windows
