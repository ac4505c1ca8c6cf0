#include "rio/linux/unix_socket.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rio/linux/udp_socket.h"

namespace ringest::rio::linux_udp {

namespace {

socklen_t unix_address(const std::string& path, sockaddr_un& sa) {
  std::memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());  // the config checked the length
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
}

// Clears the way for bind: nothing there, or a socket file nobody receives on
// (left by a daemon that was killed), which is removed.
Status clear_stale(const std::string& path, const std::string& address) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status() : Status::from_errno(errno, "stat " + address);
  }
  if (!S_ISSOCK(st.st_mode)) return Status::invalid(address + ": exists and is not a socket; not replaced");
  sockaddr_un sa;
  const socklen_t len = unix_address(path, sa);
  int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return Status::from_errno(errno, "socket");
  const int rc = connect(probe, reinterpret_cast<sockaddr*>(&sa), len);
  const int err = errno;
  close(probe);
  if (rc == 0) return Status::from_errno(EADDRINUSE, "bind " + address + " (another process receives on it)");
  if (err == EPROTOTYPE) return Status::from_errno(EADDRINUSE, "bind " + address + " (a stream socket listens on it)");
  if (err != ECONNREFUSED) return Status::from_errno(err, "probe " + address);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Status::from_errno(errno, "remove stale " + address);
  return {};
}

}  // namespace

Status set_unix_owner(const std::string& path, const SocketSpec& spec) {
  if (chmod(path.c_str(), static_cast<mode_t>(spec.unix_mode)) != 0)
    return Status::from_errno(errno, "chmod " + spec.address);
  if (spec.unix_group.empty()) return {};
  group g;
  group* found = nullptr;
  char buf[4096];
  const int rc = getgrnam_r(spec.unix_group.c_str(), &g, buf, sizeof buf, &found);
  if (found == nullptr) {
    return rc != 0 ? Status::from_errno(rc, "look up group " + spec.unix_group)
                   : Status::invalid(spec.address + ": no group '" + spec.unix_group + "'");
  }
  if (chown(path.c_str(), static_cast<uid_t>(-1), g.gr_gid) != 0)
    return Status::from_errno(errno, "chgrp " + spec.unix_group + " " + spec.address);
  return {};
}

Status open_unix_bound(const SocketSpec& spec, const std::string& path, int& fd, BoundSocket& bound) {
  if (Status st = clear_stale(path, spec.address); !st) return st;
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(errno, "socket");
  bool bound_file = false;
  auto fail = [&](Status st) {
    close(fd);
    fd = -1;
    if (bound_file) unlink(path.c_str());
    return st;
  };
  auto fail_errno = [&](const char* what) { return fail(Status::from_errno(errno, std::string(what) + " " + spec.address)); };
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) return fail_errno("SO_PASSCRED");
  int want = static_cast<int>(spec.rcvbuf_bytes);
  if (want > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) != 0) return fail_errno("SO_RCVBUF");
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0) return fail_errno("SO_RXQ_OVFL");
  sockaddr_un sa;
  const socklen_t len = unix_address(path, sa);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) return fail_errno("bind");
  bound_file = true;
  if (Status st = set_unix_owner(path, spec); !st) return fail(st);
  read_back(fd, want, bound);
  return {};
}

}  // namespace ringest::rio::linux_udp
