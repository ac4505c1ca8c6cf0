// Unix datagram sockets, "unix:///path": the DogStatsD agent's transport in
// containers. Received on the same engines as UDP; SO_PASSCRED makes every
// datagram carry its sender's pid and uid, which become the record's source.
#pragma once

#include <string>

#include "common/status.h"
#include "rio/engine.h"

namespace ringest::rio::linux_udp {

// Binds a non-blocking AF_UNIX SOCK_DGRAM socket at `path` with SO_PASSCRED,
// SO_RCVBUF and SO_RXQ_OVFL, then sets the file's mode and group as spec
// asks. A socket file already at `path` is replaced only when nothing
// receives on it (a connect is refused); a live one, or a file that is not a
// socket, is an error that names it.
Status open_unix_bound(const SocketSpec& spec, const std::string& path, int& fd, BoundSocket& bound);
// The socket file's mode and group as spec asks (also when a reload hands
// the socket to a listener with other settings).
Status set_unix_owner(const std::string& path, const SocketSpec& spec);

}  // namespace ringest::rio::linux_udp
