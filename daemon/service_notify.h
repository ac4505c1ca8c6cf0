// ServiceNotifier: tells a service manager what the daemon is doing — on
// Linux the sd_notify protocol (READY, RELOADING, STOPPING, STATUS, WATCHDOG)
// over $NOTIFY_SOCKET, with no dependency on libsystemd or a running systemd;
// on Windows SetServiceStatus (RUNNING, STOP_PENDING) when the service
// control manager started the process. Without a manager every call does
// nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ringest {

class ServiceNotifier {
 public:
  ServiceNotifier();  // finds the manager, if any
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  bool active() const { return channel_ != nullptr; }
  void ready(const std::string& status);
  void reloading();
  void stopping();
  void status(const std::string& status);
  void watchdog();
  // How often watchdog() must be called, in ms; 0 if no watchdog is armed.
  int64_t watchdog_interval_ms() const { return watchdog_ms_; }

 private:
  void send(const std::string& message);
  struct Channel;  // the platform's line to its service manager
  std::unique_ptr<Channel> channel_;
  int64_t watchdog_ms_ = 0;
};

}  // namespace ringest
