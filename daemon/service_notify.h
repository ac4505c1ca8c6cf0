// ServiceNotifier: tells a service manager what the daemon is doing — on
// Linux the sd_notify protocol (READY, RELOADING, STOPPING, STATUS, WATCHDOG)
// over $NOTIFY_SOCKET, with no dependency on libsystemd or a running systemd.
// Without a manager every call does nothing.
#pragma once

#include <cstdint>
#include <string>

namespace ringest {

class ServiceNotifier {
 public:
  ServiceNotifier();  // reads the environment
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  bool active() const { return fd_ >= 0; }
  void ready(const std::string& status);
  void reloading();
  void stopping();
  void status(const std::string& status);
  void watchdog();
  // How often watchdog() must be called, in ms; 0 if no watchdog is armed.
  int64_t watchdog_interval_ms() const { return watchdog_ms_; }

 private:
  void send(const std::string& message);
  int fd_ = -1;
  std::string address_;
  int64_t watchdog_ms_ = 0;
};

}  // namespace ringest
