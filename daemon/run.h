// The console daemon: start the pipeline and the metrics endpoint, wait for a
// signal, drain. Returns the process exit code (daemon/exit_codes.h).
#pragma once

#include "daemon/settings.h"

namespace ringest {

int run_daemon(const Settings& settings);

}  // namespace ringest
