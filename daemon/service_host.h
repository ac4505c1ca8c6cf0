// What running under the platform's service manager takes beyond run_daemon.
//
// Linux: nothing — systemd runs ringestd as it runs from a console
// (configs/ringestd.service); ServiceNotifier speaks sd_notify.
// Windows: the service control manager starts ringestd.exe with the options
// `ringestd service install` recorded; started_by_service_manager() sees that
// and run_as_service() connects to the manager before the daemon runs. The
// `service` subcommand (install | uninstall | start | stop | status) manages
// the installation.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

namespace spdlog::sinks {
class sink;
}

namespace ringest {

// True when the service manager launched this process.
bool started_by_service_manager();

// Runs `daemon` as the service the manager asked for and returns its exit
// code (reported to the manager as the service's own exit code).
int run_as_service(const std::function<int()>& daemon);

// The system log for a service's warnings and errors (Windows: the
// Application Event Log, source `name`); nullptr where the platform has none
// beyond stderr.
std::shared_ptr<spdlog::sinks::sink> system_log_sink(const std::string& name);

// `ringestd service ...`: declared only where the platform has a service
// manager to talk to.
class ServiceCommand {
 public:
  explicit ServiceCommand(CLI::App& app);
  ~ServiceCommand();
  bool selected() const;
  int run() const;

  struct Options;

 private:
  CLI::App* cmd_ = nullptr;
  std::unique_ptr<Options> options_;
};

}  // namespace ringest
