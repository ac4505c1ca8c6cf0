// UDP socket set-up and queries shared by the Linux engines. errno becomes
// Status here and nowhere else in rio/linux.
#pragma once

#include <sys/socket.h>

#include <cstdint>

#include "common/source_address.h"
#include "common/status.h"
#include "rio/engine.h"
#include "common/socket_address.h"

namespace ringest::rio::linux_udp {

// A non-blocking UDP socket bound to spec.address with SO_REUSEPORT,
// SO_RCVBUF (granted size read back) and SO_RXQ_OVFL enabled; for a
// unix:// address a Unix datagram socket (rio/linux/unix_socket.h).
// With spec.take_over set, share() instead.
Status open_bound(const SocketSpec& spec, int& fd, BoundSocket& bound);
// A new descriptor for the running socket spec.take_over, with spec's
// receive buffer and SO_REUSEPORT set or cleared as spec asks.
Status share(const SocketSpec& spec, int& fd, BoundSocket& bound);

// The receive buffer granted (against `want`, what was asked) and the port
// bound, into `bound`.
void read_back(int fd, int want, BoundSocket& bound);

// The socket's kernel drop counter (sk_drops, the value SO_RXQ_OVFL reports).
uint64_t kernel_drops(int fd);
// Bytes queued in the socket's receive queue.
uint32_t queued_bytes(int fd);


// Turns a new kernel drop count into counter increments, blaming pool
// exhaustion if the engine ran out of slots since the last observation.
// `last_seen` and `now_seen` are the kernel's 32-bit sk_drops: a reading
// older than the last one (a control message from a datagram queued earlier)
// is ignored, and wrap-around is handled.
void account_kernel_drops(SocketProbe& probe, uint32_t& last_seen, uint32_t now_seen,
                          bool pool_was_exhausted);

}  // namespace ringest::rio::linux_udp
