// ServiceNotifier on Windows: the service control manager hears RUNNING when
// the daemon is ready and STOP_PENDING while it drains. Outside a service
// every call does nothing. No watchdog: the manager has none.
#include <windows.h>

#include "daemon/service_notify.h"
#include "daemon/windows/service_main.h"

namespace ringest {

struct ServiceNotifier::Channel {};

ServiceNotifier::ServiceNotifier() {
  if (windows::service_status_handle()) channel_ = std::make_unique<Channel>();
}

ServiceNotifier::~ServiceNotifier() = default;

void ServiceNotifier::send(const std::string&) {}

void ServiceNotifier::ready(const std::string&) {
  windows::report_service_status(SERVICE_RUNNING, NO_ERROR, 0, 0);
}

// A reload keeps the service RUNNING throughout.
void ServiceNotifier::reloading() {}

void ServiceNotifier::stopping() { windows::report_service_status(SERVICE_STOP_PENDING, NO_ERROR, 0, 15'000); }

void ServiceNotifier::status(const std::string&) {}

void ServiceNotifier::watchdog() {}

}  // namespace ringest
