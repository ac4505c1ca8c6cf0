#include "rio/windows/udp_socket.h"

#include <mstcpip.h>

#include <cstring>
#include <mutex>

#include "common/socket_address.h"

#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif

namespace ringest::rio::win_udp {

Status winsock_start() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] {
    WSADATA data;
    result = WSAStartup(MAKEWORD(2, 2), &data);
  });
  if (result != 0) return os_status(static_cast<unsigned long>(result), "WSAStartup");
  return {};
}

// Plain words for the errors a user meets binding a listener; Windows' own
// text (when it has one) follows in the message.
const char* common_cause(unsigned long code) {
  switch (code) {
    case WSAEADDRINUSE: return "address already in use";
    case WSAEACCES: return "access denied (another process may hold the port exclusively)";
    case WSAEADDRNOTAVAIL: return "address not available on this machine";
    default: return nullptr;
  }
}

Status os_status(unsigned long code, const std::string& what) {
  char text[256] = {};
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code, 0, text,
                           sizeof text, nullptr);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '.')) {
    text[--n] = '\0';
  }
  std::string described = n > 0 ? std::string(text, n) : std::string("error");
  if (const char* cause = common_cause(code)) described = std::string(cause) + (n > 0 ? ": " + described : "");
  described += " (" + std::to_string(code) + ")";
  return Status::with_text(static_cast<int>(code), what, std::move(described));
}

Status open_bound(const SocketSpec& spec, DWORD extra_flags, SOCKET& s, BoundSocket& bound) {
  if (Status st = winsock_start(); !st) return st;
  if (std::string path; unix_socket_path(spec.address, path))
    return Status::invalid(spec.address + ": Unix datagram sockets do not exist on Windows (its AF_UNIX is "
                           "stream only); use a UDP address");
  sockaddr_storage sa;
  int len;
  if (Status st = resolve(spec.address, sa, len); !st) return st;
  s = WSASocketW(sa.ss_family, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0,
                 WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT | extra_flags);
  if (s == INVALID_SOCKET) return os_status(WSAGetLastError(), "WSASocket");
  auto fail = [&](const char* what) {
    Status st = os_status(WSAGetLastError(), std::string(what) + " " + spec.address);
    closesocket(s);
    s = INVALID_SOCKET;
    return st;
  };
  BOOL yes = TRUE;
  if (spec.reuse_port &&
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof yes) != 0) {
    return fail("SO_REUSEADDR");
  }
  int want = static_cast<int>(spec.rcvbuf_bytes);
  if (want > 0 &&
      setsockopt(s, SOL_SOCKET, SO_RCVBUF, reinterpret_cast<const char*>(&want), sizeof want) != 0) {
    return fail("SO_RCVBUF");
  }
  // One socket on the address: no other process may bind it too (the
  // Windows counterpart of binding without SO_REUSEPORT on Linux).
  if (!spec.reuse_port)
    setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&yes), sizeof yes);
  BOOL no = FALSE;
  DWORD ignored = 0;
  // Best effort: without it a port-unreachable shows up as WSAECONNRESET.
  WSAIoctl(s, SIO_UDP_CONNRESET, &no, sizeof no, nullptr, 0, &ignored, nullptr, nullptr);
  if (bind(s, reinterpret_cast<sockaddr*>(&sa), len) != 0) return fail("bind");
  int granted = 0;
  int glen = sizeof granted;
  getsockopt(s, SOL_SOCKET, SO_RCVBUF, reinterpret_cast<char*>(&granted), &glen);
  bound.rcvbuf_granted = static_cast<uint32_t>(granted);
  bound.rcvbuf_capped = want > 0 && granted < want;
  sockaddr_storage got;
  int got_len = sizeof got;
  getsockname(s, reinterpret_cast<sockaddr*>(&got), &got_len);
  SourceAddress local;
  to_source(reinterpret_cast<sockaddr*>(&got), local);
  bound.port = local.port;
  return {};
}

uint32_t queued_bytes(SOCKET s) {
  u_long n = 0;
  if (ioctlsocket(s, FIONREAD, &n) != 0) return 0;
  return static_cast<uint32_t>(n);
}

uint64_t discard_queued(SOCKET s) {
  static thread_local char scratch[65536];
  u_long nonblocking = 1;
  ioctlsocket(s, FIONBIO, &nonblocking);
  uint64_t n = 0;
  for (;;) {
    if (recv(s, scratch, sizeof scratch, 0) >= 0) {
      ++n;
      continue;
    }
    int err = WSAGetLastError();
    if (err == WSAEMSGSIZE) {
      ++n;  // a datagram too long for the scratch buffer is still one datagram
      continue;
    }
    if (is_transient(err)) continue;
    return n;  // WSAEWOULDBLOCK: empty; anything else: nothing more to read
  }
}

bool is_transient(int wsa_error) {
  return wsa_error == WSAECONNRESET || wsa_error == WSAENETRESET;
}

}  // namespace ringest::rio::win_udp
