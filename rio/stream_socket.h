// TCP sockets for the daemon's own small servers (the metrics endpoint): a
// non-blocking listener, accepted connections and one poll over them. Not on
// the packet path. Each platform's file (rio/linux/stream_socket.cc,
// rio/windows/stream_socket.cc) translates its errors into Status here and
// hides its socket type behind SocketHandle.
//
// Every call may be made from any thread, but a handle belongs to one thread
// at a time; wake() is the one call meant for another thread than the one
// polling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace ringest::rio {

// An OS socket (a file descriptor on Linux, a SOCKET on Windows).
using SocketHandle = uintptr_t;
inline constexpr SocketHandle kNoSocket = ~SocketHandle{0};

// A non-blocking TCP listener on numeric "host:port" / "[v6]:port" (port 0
// picks one); `port` is the port bound. `reuse_port` (Linux) lets several
// listeners share the port, the kernel spreading connections over them.
Status stream_listen(const std::string& address, int backlog, SocketHandle& out, uint16_t& port,
                     bool reuse_port = false);

// A connection waiting on `listener`, non-blocking, or kNoSocket when none
// waits (or accept failed: the caller polls again).
SocketHandle stream_accept(SocketHandle listener);

// Bytes read (> 0), 0 when the peer closed, kWouldBlock when nothing is
// there yet, kFailed on a reset or any other error.
inline constexpr long kWouldBlock = -1;
inline constexpr long kFailed = -2;
long stream_recv(SocketHandle s, char* buf, size_t len);
// Bytes written (> 0), kWouldBlock when the send buffer is full, kFailed.
// Never raises SIGPIPE.
long stream_send(SocketHandle s, const char* buf, size_t len);

void socket_close(SocketHandle s);

// A loopback UDP socket connected to itself: poll it for reading, and
// wake() (from any thread) makes it readable; drain() reads the wake-ups.
Status wake_socket_open(SocketHandle& out);
void wake(SocketHandle s);
void drain(SocketHandle s);

struct PollItem {
  SocketHandle socket = kNoSocket;
  bool want_read = false;
  bool want_write = false;
  // Set by poll_sockets():
  bool readable = false;  // also set on hang-up and error, so a read reports it
  bool writable = false;
};

// Waits until an item is ready or `timeout_ms` passes (-1: no limit).
// Returns the number of ready items, 0 on timeout, -1 on error (EINTR is
// retried by the caller's loop as a timeout).
int poll_sockets(PollItem* items, size_t n, int timeout_ms);

}  // namespace ringest::rio
