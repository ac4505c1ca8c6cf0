#include "common/host_port.h"

#include <algorithm>
#include <charconv>

namespace ringest {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_name(char c) {
  return is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '.' || c == '-' || c == '_';
}

}  // namespace

HostPortError parse_host_port(std::string_view s, HostPort& out) {
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return HostPortError::kShape;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return HostPortError::kShape;
    std::string_view address = host.substr(0, host.find('%'));
    if (!std::all_of(address.begin(), address.end(),
                     [](char c) { return is_hex(c) || c == ':' || c == '.'; })) {
      return HostPortError::kShape;
    }
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return HostPortError::kShape;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return HostPortError::kBareIPv6;
    if (!std::all_of(host.begin(), host.end(), is_name)) return HostPortError::kShape;
  }
  if (host.empty()) return HostPortError::kShape;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit) ||
      ec != std::errc() || p != port.data() + port.size() || v > 65535) {
    return HostPortError::kPort;
  }
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(v);
  return HostPortError::kNone;
}

bool split_host_port(std::string_view s, HostPort& out) {
  return parse_host_port(s, out) == HostPortError::kNone;
}

}  // namespace ringest
