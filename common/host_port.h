// Splitting "host:port" and "[v6]:port" — pure string work, shared by the
// config checker, the engines and the tools.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringest {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

// False if `s` is not host:port or [host]:port with a port in 0..65535.
bool split_host_port(std::string_view s, HostPort& out);

}  // namespace ringest
