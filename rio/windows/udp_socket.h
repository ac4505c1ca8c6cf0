// UDP socket set-up and queries shared by the Windows engines. WSA and Win32
// error codes become Status here and nowhere else in rio/windows.
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>

#include <cstdint>
#include <string>

#include "common/source_address.h"
#include "common/status.h"
#include "rio/engine.h"
#include "common/socket_address.h"

namespace ringest::rio::win_udp {


// Starts Winsock for the process (once; later calls return the first result).
Status winsock_start();

// A WSA or Win32 error code as a Status naming `what`, with the system's text.
Status os_status(unsigned long code, const std::string& what);


// An overlapped UDP socket (plus `extra_flags`, e.g. WSA_FLAG_REGISTERED_IO)
// bound to spec.address, with SO_RCVBUF (granted size read back), port
// sharing when spec.reuse_port (SO_REUSEADDR: Windows lets several sockets
// bind, but delivers each unicast datagram to one of them), and ICMP
// port-unreachable reports switched off (SIO_UDP_CONNRESET) where the OS
// allows it. Receives may still fail with WSAECONNRESET: callers treat that
// as not fatal.
Status open_bound(const SocketSpec& spec, DWORD extra_flags, SOCKET& s, BoundSocket& bound);

// Bytes queued in the socket's receive queue (FIONREAD).
uint32_t queued_bytes(SOCKET s);

// Reads and counts (as datagrams) what the socket still holds, without
// blocking. The socket is left non-blocking.
uint64_t discard_queued(SOCKET s);


// Whether a receive error only reports something about an earlier datagram
// (ICMP port unreachable, net reset): the socket is still fine.
bool is_transient(int wsa_error);

}  // namespace ringest::rio::win_udp
