#include "daemon/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace ringest {

struct ServiceNotifier::Channel {
  int fd = -1;
  std::string address;

  ~Channel() {
    if (fd >= 0) close(fd);
  }

  void send(const std::string& message) const;
};

ServiceNotifier::ServiceNotifier() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || (path[0] != '/' && path[0] != '@') || std::strlen(path) >= sizeof(sockaddr_un::sun_path)) return;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  channel_ = std::make_unique<Channel>();
  channel_->fd = fd;
  channel_->address = path;
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (usec && (!pid || std::atoll(pid) == getpid())) watchdog_ms_ = std::atoll(usec) / 2000;
}

ServiceNotifier::~ServiceNotifier() = default;

void ServiceNotifier::Channel::send(const std::string& message) const {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, address.data(), address.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  // Never block: a service manager that is slow to read must not stall the daemon.
  sendto(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sa), len);
}

void ServiceNotifier::send(const std::string& message) {
  if (channel_) channel_->send(message);
}

void ServiceNotifier::ready(const std::string& s) { send("READY=1\nSTATUS=" + s); }

void ServiceNotifier::reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long usec = static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotifier::stopping() { send("STOPPING=1\nSTATUS=draining"); }

void ServiceNotifier::status(const std::string& s) { send("STATUS=" + s); }

void ServiceNotifier::watchdog() { send("WATCHDOG=1"); }

}  // namespace ringest
