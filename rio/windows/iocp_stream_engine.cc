#include "rio/windows/iocp_stream_engine.h"

#include <ws2tcpip.h>

#include <algorithm>

#include "common/clock.h"
#include "common/socket_address.h"
#include "rio/stream_socket.h"
#include "rio/windows/udp_socket.h"

namespace ringest::rio {
namespace {

constexpr ULONG_PTR kAcceptKey = 0;
constexpr ULONG_PTR kConnKey = 1;
constexpr int64_t kIdleCheckNs = 250'000'000;

Status load_accept_ex(SOCKET s, LPFN_ACCEPTEX& fn) {
  GUID id = WSAID_ACCEPTEX;
  DWORD got = 0;
  if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn, sizeof fn, &got, nullptr, nullptr) != 0)
    return win_udp::os_status(WSAGetLastError(), "WSAIoctl(AcceptEx)");
  return {};
}

}  // namespace

IocpStreamEngine::IocpStreamEngine(const EngineOptions& opts, const StreamOptions& stream)
    : opts_(opts), pool_(opts.slot_bytes, std::max<uint32_t>(opts.slots, 1)), asm_(pool_, stream) {
  entries_.resize(std::max<uint32_t>(opts_.batch, 16));
}

IocpStreamEngine::~IocpStreamEngine() {
  discard_and_close();
  if (iocp_) CloseHandle(iocp_);
}

Status IocpStreamEngine::add_socket(const SocketSpec& spec, BoundSocket& bound) {
  if (listener_ != INVALID_SOCKET) return Status::invalid("a TCP engine has one listening socket");
  if (spec.take_over >= 0) return Status::invalid("a TCP listener can't take over another listener's socket");
  if (std::string path; unix_socket_path(spec.address, path))
    return Status::invalid("a TCP listener takes host:port, not " + spec.address);
  sockaddr_storage sa;
  socklen_t len;
  if (Status st = resolve(spec.address, sa, len); !st) return st;
  family_ = sa.ss_family;
  SocketHandle h = kNoSocket;
  uint16_t port = 0;
  if (Status st = stream_listen(spec.address, SOMAXCONN, h, port); !st) return st;
  listener_ = static_cast<SOCKET>(h);
  asm_.socket_probe().listener = spec.listener;
  bound.port = port;
  return {};
}

Status IocpStreamEngine::start() {
  if (!pool_.ok()) return win_udp::os_status(ERROR_NOT_ENOUGH_MEMORY, "buffer pool");
  if (listener_ == INVALID_SOCKET) return Status::invalid("stream engine: no socket");
  if (Status st = load_accept_ex(listener_, accept_ex_); !st) return st;
  iocp_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (!iocp_) return win_udp::os_status(GetLastError(), "CreateIoCompletionPort");
  if (!CreateIoCompletionPort(reinterpret_cast<HANDLE>(listener_), iocp_, kAcceptKey, 0))
    return win_udp::os_status(GetLastError(), "associate socket");
  for (Accept& a : accepts_) post_accept(a);
  return {};
}

void IocpStreamEngine::post_accept(Accept& a) {
  if (listener_ == INVALID_SOCKET) return;
  a.s = WSASocketW(family_, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (a.s == INVALID_SOCKET) {
    asm_.probe().errors.add();
    return;
  }
  a.ov = OVERLAPPED{};
  DWORD got = 0;
  if (!accept_ex_(listener_, a.s, a.addrs, 0, kAddrBytes, kAddrBytes, &got, &a.ov) &&
      WSAGetLastError() != ERROR_IO_PENDING) {
    asm_.probe().errors.add();
    closesocket(a.s);
    a.s = INVALID_SOCKET;
    return;
  }
  a.posted = true;
  ++outstanding_;
}

void IocpStreamEngine::on_accept(Accept& a, bool ok, int64_t mono) {
  a.posted = false;
  --outstanding_;
  SOCKET s = a.s;
  a.s = INVALID_SOCKET;
  if (!ok) {
    if (listener_ != INVALID_SOCKET) asm_.probe().errors.add();
    closesocket(s);
    post_accept(a);
    return;
  }
  setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, reinterpret_cast<const char*>(&listener_), sizeof listener_);
  sockaddr_storage peer{};
  int len = sizeof peer;
  SourceAddress source;
  if (getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len) == 0) to_source(reinterpret_cast<sockaddr*>(&peer), source);
  const int32_t id = asm_.open(source, mono);
  post_accept(a);
  if (id < 0) {  // max_connections open: refused, counted
    closesocket(s);
    return;
  }
  if (static_cast<size_t>(id) >= conns_.size()) conns_.resize(id + 1);
  if (!conns_[id]) {
    conns_[id] = std::make_unique<Conn>();
    conns_[id]->buf = std::make_unique<char[]>(kRecvBytes);
  }
  Conn& c = *conns_[id];
  c.id = id;
  c.s = s;
  c.posted = c.ended = c.stalled = false;
  c.why = StreamAssembler::Close::kPeer;
  c.offset = c.length = 0;
  if (!CreateIoCompletionPort(reinterpret_cast<HANDLE>(s), iocp_, kConnKey, 0)) {
    c.ended = true;
    c.why = StreamAssembler::Close::kError;
    finish(c);
    return;
  }
  post_recv(c);
}

void IocpStreamEngine::post_recv(Conn& c) {
  c.ov = OVERLAPPED{};
  WSABUF b{kRecvBytes, c.buf.get()};
  DWORD flags = 0, got = 0;
  if (WSARecv(c.s, &b, 1, &got, &flags, &c.ov, nullptr) != 0 && WSAGetLastError() != WSA_IO_PENDING) {
    c.ended = true;
    c.why = StreamAssembler::Close::kError;
    finish(c);
    return;
  }
  c.posted = true;  // pending, or done at once: the port gets a completion either way
  ++outstanding_;
}

void IocpStreamEngine::on_recv(Conn& c, bool ok, DWORD bytes, int64_t wall, int64_t mono) {
  c.posted = false;
  --outstanding_;
  if (c.s == INVALID_SOCKET) return;  // closed at shutdown: its bytes were not framed
  if (!ok) {
    if (!c.ended) c.why = StreamAssembler::Close::kError;  // a reset; or our own cancel (idle): why kept
    c.ended = true;
  } else if (bytes == 0) {
    c.ended = true;
  } else {
    c.offset = 0;
    c.length = bytes;
    if (!drain(c, wall, mono)) return;  // stalled: posted again once framed
  }
  if (c.ended) {
    finish(c);
  } else {
    post_recv(c);
  }
}

bool IocpStreamEngine::drain(Conn& c, int64_t wall, int64_t mono) {
  const size_t took = asm_.feed(c.id, {c.buf.get() + c.offset, c.length}, wall, mono);
  c.offset += static_cast<uint32_t>(took);
  c.length -= static_cast<uint32_t>(took);
  if (c.length == 0) return true;
  if (!c.stalled) {
    c.stalled = true;
    stalled_.push_back(c.id);
  }
  return false;
}

void IocpStreamEngine::resume_stalled(int64_t wall, int64_t mono) {
  while (!stalled_.empty() && asm_.has_free_slot()) {
    const int32_t id = stalled_.front();
    stalled_.pop_front();
    Conn& c = *conns_[id];
    if (!c.stalled || c.s == INVALID_SOCKET) continue;
    c.stalled = false;
    if (!drain(c, wall, mono)) {
      stalled_.pop_back();
      stalled_.push_front(id);
      break;
    }
    if (c.ended) {  // closed as idle while its last bytes waited
      finish(c);
    } else {
      post_recv(c);
    }
  }
}

void IocpStreamEngine::finish(Conn& c) {
  asm_.close(c.id, c.why);
  closesocket(c.s);
  c.s = INVALID_SOCKET;
  c.stalled = false;
  c.length = 0;
}

void IocpStreamEngine::close_idle(int64_t mono) {
  scratch_.clear();
  asm_.idle(mono, scratch_);
  for (int32_t id : scratch_) {
    Conn& c = *conns_[id];
    if (c.ended || c.stalled || c.s == INVALID_SOCKET) continue;
    c.why = StreamAssembler::Close::kIdle;
    c.ended = true;
    if (c.posted) {
      CancelIoEx(reinterpret_cast<HANDLE>(c.s), &c.ov);  // its receive completes, and the connection is finished then
    } else {
      finish(c);
    }
  }
  scratch_.clear();
}

void IocpStreamEngine::handle(const OVERLAPPED_ENTRY& e, int64_t wall, int64_t mono) {
  // The OVERLAPPED holds an NTSTATUS: 0 is success.
  const bool ok = e.lpOverlapped->Internal == 0;
  if (e.lpCompletionKey == kAcceptKey) {
    on_accept(*reinterpret_cast<Accept*>(e.lpOverlapped), ok, mono);
  } else {
    on_recv(*reinterpret_cast<Conn*>(e.lpOverlapped), ok, e.dwNumberOfBytesTransferred, wall, mono);
  }
}

uint32_t IocpStreamEngine::poll(DatagramHandler& handler, int timeout_ms) {
  if (!iocp_) return 0;
  int64_t wall = wall_ns(), mono = mono_ns();
  resume_stalled(wall, mono);
  std::vector<uint32_t>& out = asm_.out();
  ULONG n = 0;
  DWORD wait = out.empty() ? static_cast<DWORD>(std::max(timeout_ms, 0)) : 0;
  if (GetQueuedCompletionStatusEx(iocp_, entries_.data(), static_cast<ULONG>(entries_.size()), &n, wait, FALSE)) {
    wall = wall_ns();
    mono = mono_ns();
    for (ULONG i = 0; i < n; ++i) handle(entries_[i], wall, mono);
  }
  if (mono >= next_idle_check_) {
    close_idle(mono);
    // An accept that could not be posted (no socket, a refused AcceptEx) is
    // tried again here, not in a spin.
    for (Accept& a : accepts_)
      if (!a.posted) post_accept(a);
    next_idle_check_ = mono + kIdleCheckNs;
  }
  if (out.empty()) return 0;
  const auto count = static_cast<uint32_t>(out.size());
  probe_.wakeups.add();
  probe_.slots_in_use.add(count);
  handler.on_datagrams(out);
  out.clear();
  return count;
}

void IocpStreamEngine::release(std::span<const uint32_t> slots) {
  for (uint32_t s : slots) asm_.release(s);
  probe_.slots_in_use.set(probe_.slots_in_use.get() - slots.size());
}

bool IocpStreamEngine::sockets_empty() {
  if (!stalled_.empty()) return false;
  for (const auto& c : conns_)
    if (c && c->s != INVALID_SOCKET && win_udp::queued_bytes(c->s) > 0) return false;
  return true;
}

void IocpStreamEngine::wait_outstanding() {
  for (int idle = 0; iocp_ && outstanding_ > 0 && idle < 250;) {
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(iocp_, entries_.data(), static_cast<ULONG>(entries_.size()), &n, 20, FALSE)) {
      ++idle;
      continue;
    }
    for (ULONG i = 0; i < n; ++i) {
      const OVERLAPPED_ENTRY& e = entries_[i];
      if (e.lpCompletionKey == kAcceptKey) {
        auto& a = *reinterpret_cast<Accept*>(e.lpOverlapped);
        a.posted = false;
        if (a.s != INVALID_SOCKET) closesocket(a.s);
        a.s = INVALID_SOCKET;
      } else {
        auto& c = *reinterpret_cast<Conn*>(e.lpOverlapped);
        c.posted = false;
        // Received before the cancel took: counted as shutdown drops.
        if (e.lpOverlapped->Internal == 0 && e.dwNumberOfBytesTransferred > 0 && c.s != INVALID_SOCKET)
          asm_.discard(c.id, {c.buf.get(), e.dwNumberOfBytesTransferred});
      }
      --outstanding_;
    }
  }
}

void IocpStreamEngine::discard_and_close() {
  if (listener_ != INVALID_SOCKET) {
    closesocket(listener_);  // the posted accepts complete, aborted
    listener_ = INVALID_SOCKET;
  }
  // What was received and not yet handed out is counted as shutdown drops:
  // bytes waiting for slots, receives that completed, what the sockets hold.
  for (auto& c : conns_) {
    if (!c || c->s == INVALID_SOCKET) continue;
    if (c->length > 0) asm_.discard(c->id, {c->buf.get() + c->offset, c->length});
    c->length = 0;
    if (c->posted) CancelIoEx(reinterpret_cast<HANDLE>(c->s), &c->ov);
  }
  stalled_.clear();
  // The stack may still write into the buffers of posted operations: they
  // must all have completed before the buffers are read or go.
  wait_outstanding();
  char rest[4096];
  for (auto& c : conns_) {
    if (!c || c->s == INVALID_SOCKET) continue;
    u_long on = 1;
    ioctlsocket(c->s, FIONBIO, &on);
    for (int n; (n = recv(c->s, rest, sizeof rest, 0)) > 0;) asm_.discard(c->id, {rest, static_cast<size_t>(n)});
    c->why = StreamAssembler::Close::kShutdown;
    finish(*c);
  }
}

std::string IocpStreamEngine::probe_support() {
  if (Status st = win_udp::winsock_start(); !st) return st.message();
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET) return win_udp::os_status(WSAGetLastError(), "WSASocket").message();
  LPFN_ACCEPTEX fn = nullptr;
  Status st = load_accept_ex(s, fn);
  closesocket(s);
  return st ? "" : st.message();
}

}  // namespace ringest::rio
