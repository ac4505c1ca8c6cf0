// Socket addresses, the same on every platform and for every user (engines,
// the metrics endpoint, the tools): numeric "host:port" to a sockaddr, and a
// sockaddr to the SourceAddress stored with each datagram.
#pragma once

#include <string>
#include <string_view>

#include "common/socket_api.h"
#include "common/source_address.h"
#include "common/status.h"

namespace ringest {

// Resolves a numeric "host:port" / "[v6]:port", or "localhost:port" as
// 127.0.0.1 (no DNS on the packet path). An IPv6 address may carry its zone,
// "[fe80::1%eth0]:8125" or "[fe80::1%2]:8125", which becomes sin6_scope_id.
Status resolve(const std::string& address, sockaddr_storage& sa, socklen_t& len);

// An IPv4 or IPv6 sockaddr as a SourceAddress; anything else as the empty one.
void to_source(const sockaddr* sa, SourceAddress& out);

// A Unix datagram socket's address, "unix:///run/ringest/dsd.socket": true,
// with `path` the absolute path after "unix://". False for anything else.
bool unix_socket_path(std::string_view address, std::string& path);
// What is wrong with a "unix://" address ("" when it is good, or not one).
std::string check_unix_address(std::string_view address);

}  // namespace ringest
