#include "common/source_address.h"

#include <cstdio>

namespace ringest {

std::string SourceAddress::to_string() const {
  char buf[64];
  if (family == kIPv4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", addr[0], addr[1], addr[2], addr[3], port);
    return buf;
  }
  if (family == kIPv6) {
    std::string s = "[";
    for (int i = 0; i < 16; i += 2) {
      if (i) s += ':';
      std::snprintf(buf, sizeof buf, "%x", (addr[i] << 8) | addr[i + 1]);
      s += buf;
    }
    std::snprintf(buf, sizeof buf, "]:%u", port);
    return s + buf;
  }
  return "";
}

}  // namespace ringest
