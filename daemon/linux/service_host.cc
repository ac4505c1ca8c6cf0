// Linux: systemd runs ringestd exactly as a console would, so there is no
// service entry point and no `service` subcommand (see service_host.h).
#include "daemon/service_host.h"

#include <spdlog/sinks/sink.h>

namespace ringest {

struct ServiceCommand::Options {};

bool started_by_service_manager() { return false; }

int run_as_service(const std::function<int()>& daemon) { return daemon(); }

std::shared_ptr<spdlog::sinks::sink> system_log_sink(const std::string&) { return nullptr; }

ServiceCommand::ServiceCommand(CLI::App&) {}
ServiceCommand::~ServiceCommand() = default;
bool ServiceCommand::selected() const { return false; }
int ServiceCommand::run() const { return 0; }

}  // namespace ringest
