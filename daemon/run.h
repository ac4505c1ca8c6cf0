// The console daemon: start the pipeline and the HTTP endpoint, then wait
// for signals — SIGHUP reloads the configuration (file and drop-ins), SIGINT/SIGTERM drain
// and stop. Returns the process exit code (daemon/exit_codes.h).
#pragma once

#include <string>

#include "daemon/settings.h"

namespace ringest {

// Where a reload reads the configuration again.
struct ConfigSource {
  std::string path;
  std::string dir;  // drop-ins; empty for conf.d beside path, when it exists
};

int run_daemon(const Settings& settings, const ConfigSource& config);

}  // namespace ringest
