// The console daemon: start the pipeline and the HTTP endpoint, then wait
// for signals — SIGHUP reloads the configuration file, SIGINT/SIGTERM drain
// and stop. Returns the process exit code (daemon/exit_codes.h).
#pragma once

#include <string>

#include "daemon/settings.h"

namespace ringest {

int run_daemon(const Settings& settings, const std::string& config_path);

}  // namespace ringest
