#include "common/host_port.h"

#include <charconv>

namespace ringest {

bool split_host_port(std::string_view s, HostPort& out) {
  size_t colon;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    out.host = std::string(s.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string_view::npos) return false;
    out.host = std::string(s.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return false;  // bare IPv6 needs brackets
  }
  std::string_view port = s.substr(colon + 1);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || v > 65535) return false;
  if (out.host.empty()) return false;
  out.port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace ringest
