#include "common/socket_address.h"

#include <charconv>
#include <cstring>

#include "common/host_port.h"

namespace ringest {

Status resolve(const std::string& address, sockaddr_storage& sa, socklen_t& len) {
  HostPort hp;
  if (!split_host_port(address, hp)) return Status::invalid("bad address '" + address + "'");
  std::memset(&sa, 0, sizeof sa);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&sa);
  if (inet_pton(AF_INET, hp.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(hp.port);
    len = sizeof(sockaddr_in);
    return {};
  }
  // An IPv6 address may name its zone: fe80::1%eth0, or the interface's index.
  const size_t percent = hp.host.find('%');
  if (inet_pton(AF_INET6, hp.host.substr(0, percent).c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(hp.port);
    len = sizeof(sockaddr_in6);
    if (percent == std::string::npos) return {};
    const std::string zone = hp.host.substr(percent + 1);
    unsigned index = 0;
    auto [end, ec] = std::from_chars(zone.data(), zone.data() + zone.size(), index);
    if (zone.empty() || ec != std::errc() || end != zone.data() + zone.size()) index = if_nametoindex(zone.c_str());
    if (index == 0) return Status::invalid("bad address '" + address + "': no network interface '" + zone + "'");
    v6->sin6_scope_id = index;
    return {};
  }
  if (hp.host == "localhost") return resolve("127.0.0.1:" + std::to_string(hp.port), sa, len);
  return Status::invalid("bad address '" + address + "': host must be a numeric IPv4 or IPv6 address");
}

void to_source(const sockaddr* sa, SourceAddress& out) {
  if (sa->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(sa);
    out.family = SourceAddress::kIPv4;
    out.port = ntohs(v4->sin_port);
    std::memcpy(out.addr, &v4->sin_addr, 4);
    std::memset(out.addr + 4, 0, 12);
  } else if (sa->sa_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(sa);
    out.family = SourceAddress::kIPv6;
    out.port = ntohs(v6->sin6_port);
    std::memcpy(out.addr, &v6->sin6_addr, 16);
  } else {
    out = SourceAddress{};
  }
}

constexpr std::string_view kUnixScheme = "unix://";
constexpr size_t kMaxUnixPath = 107;  // sockaddr_un's sun_path, less its terminating NUL

bool unix_socket_path(std::string_view address, std::string& path) {
  if (!address.starts_with(kUnixScheme)) return false;
  path = std::string(address.substr(kUnixScheme.size()));
  return true;
}

std::string check_unix_address(std::string_view address) {
  std::string path;
  if (!unix_socket_path(address, path)) return "";
  const std::string got = " (got \"" + std::string(address) + "\")";
  if (path.empty() || path[0] != '/') return "a Unix socket address is unix:///absolute/path" + got;
  if (path.size() > kMaxUnixPath) return "a Unix socket path has at most 107 bytes" + got;
  if (path.back() == '/') return "a Unix socket address names a file, not a directory" + got;
  return "";
}

}  // namespace ringest
