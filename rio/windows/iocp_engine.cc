#include "rio/windows/iocp_engine.h"

#include <algorithm>

#include "common/clock.h"
#include "rio/windows/udp_socket.h"

namespace ringest::rio {

IocpEngine::IocpEngine(const EngineOptions& opts)
    : opts_(opts), pool_(opts.slot_bytes, std::max<uint32_t>(opts.slots, 1)) {
  recv_.resize(pool_.slots());
  entries_.resize(std::max<uint32_t>(opts_.batch, 1));
  out_.reserve(pool_.slots());
}

IocpEngine::~IocpEngine() {
  // The stack may still write into slots with receives posted: they must
  // finish (cancelled) before the pool goes away.
  cancel_all();
  socks_.close_all();
  if (iocp_) CloseHandle(iocp_);
}

Status IocpEngine::add_socket(const SocketSpec& spec, BoundSocket& bound) {
  return socks_.add(spec, 0, bound);
}

Status IocpEngine::start() {
  if (!pool_.ok()) return win_udp::os_status(ERROR_NOT_ENOUGH_MEMORY, "buffer pool");
  if (socks_.size() == 0) return Status::invalid("iocp engine: no socket");
  iocp_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (!iocp_) return win_udp::os_status(GetLastError(), "CreateIoCompletionPort");
  for (uint16_t s = 0; s < socks_.size(); ++s) {
    HANDLE h = reinterpret_cast<HANDLE>(socks_.socket(s));
    if (!CreateIoCompletionPort(h, iocp_, s, 0))
      return win_udp::os_status(GetLastError(), "associate socket");
  }
  GUID id = WSAID_WSARECVMSG;
  DWORD got = 0;
  if (WSAIoctl(socks_.socket(0), SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &recvmsg_,
               sizeof recvmsg_, &got, nullptr, nullptr) != 0) {
    return win_udp::os_status(WSAGetLastError(), "WSAIoctl(WSARecvMsg)");
  }
  free_.reserve(pool_.slots());
  for (uint32_t s = pool_.slots(); s-- > 0;) free_.push_back(s);
  posted_.assign(socks_.size(), 0);
  starved_.assign(socks_.size(), false);
  depth_ = std::max<uint32_t>(1, pool_.slots() / socks_.size());
  post_all();
  return {};
}

void IocpEngine::post(uint16_t sock) {
  SocketProbe& sp = socks_.probe(sock);
  while (posted_[sock] < depth_ && !free_.empty()) {
    uint32_t slot = free_.back();
    Recv& r = recv_[slot];
    r = Recv{};
    r.sock = sock;
    r.buf = {pool_.slot_bytes(), reinterpret_cast<char*>(pool_.slot(slot))};
    r.msg.name = reinterpret_cast<sockaddr*>(&r.from);
    r.msg.namelen = sizeof r.from;
    r.msg.lpBuffers = &r.buf;
    r.msg.dwBufferCount = 1;
    DWORD bytes = 0;
    if (recvmsg_(socks_.socket(sock), &r.msg, &bytes, &r.ov, nullptr) != 0) {
      int err = WSAGetLastError();
      if (err != WSA_IO_PENDING) {
        // Not posted. A stale ICMP report is not a socket failure: try again.
        if (win_udp::is_transient(err)) continue;
        sp.errors.add();
        return;
      }
    }
    // Posted (pending, or done at once: the port gets a completion either way).
    free_.pop_back();
    r.posted = true;
    ++posted_[sock];
    ++outstanding_;
  }
  bool starved = posted_[sock] == 0 && free_.empty();
  if (starved && !starved_[sock]) probe_.pool_exhausted.add();
  starved_[sock] = starved;
}

void IocpEngine::post_all() {
  for (uint16_t s = 0; s < socks_.size(); ++s) post(s);
}

uint32_t IocpEngine::poll(DatagramHandler& handler, int timeout_ms) {
  out_.clear();
  if (!iocp_) return 0;
  ULONG n = 0;
  // At most one batch per socket per poll, taken in chunks of one batch.
  for (uint16_t round = 0; round < socks_.size(); ++round) {
    DWORD wait = round == 0 ? static_cast<DWORD>(std::max(timeout_ms, 0)) : 0;
    if (!GetQueuedCompletionStatusEx(iocp_, entries_.data(), static_cast<ULONG>(entries_.size()), &n, wait,
                                     FALSE))
      break;  // WAIT_TIMEOUT: nothing (more) finished
    int64_t now = wall_ns();
    for (ULONG i = 0; i < n; ++i) handle(entries_[i], now);
    if (n < entries_.size()) break;
  }
  post_all();
  if (out_.empty()) return 0;
  probe_.wakeups.add();
  probe_.slots_in_use.add(out_.size());
  handler.on_datagrams(out_);
  return static_cast<uint32_t>(out_.size());
}

void IocpEngine::handle(const OVERLAPPED_ENTRY& e, int64_t now_ns) {
  Recv* r = reinterpret_cast<Recv*>(e.lpOverlapped);
  auto slot = static_cast<uint32_t>(r - recv_.data());
  uint16_t sock = r->sock;
  r->posted = false;
  --posted_[sock];
  --outstanding_;
  SocketProbe& sp = socks_.probe(sock);
  DWORD bytes = e.dwNumberOfBytesTransferred;
  DWORD flags = 0;
  int err = 0;
  // The OVERLAPPED holds an NTSTATUS; WSAGetOverlappedResult turns it into a WSA code.
  if (r->ov.Internal != 0 && !WSAGetOverlappedResult(socks_.socket(sock), &r->ov, &bytes, FALSE, &flags)) {
    err = WSAGetLastError();
  }
  if (err == 0 && (r->msg.dwFlags & MSG_TRUNC)) err = WSAEMSGSIZE;
  if (err != 0) {
    if (err == WSAEMSGSIZE) {
      sp.truncated.add();
    } else if (!win_udp::is_transient(err) && err != WSA_OPERATION_ABORTED) {
      sp.errors.add();
    }
    free_.push_back(slot);
    return;
  }
  socks_.accepted(sock, pool_.meta(slot), reinterpret_cast<sockaddr*>(&r->from), 0, bytes, now_ns);
  out_.push_back(slot);
}

void IocpEngine::release(std::span<const uint32_t> slots) {
  free_.insert(free_.end(), slots.begin(), slots.end());
  probe_.slots_in_use.set(probe_.slots_in_use.get() - slots.size());
  post_all();
}

void IocpEngine::cancel_all() {
  if (!iocp_ || outstanding_ == 0) return;
  for (uint16_t s = 0; s < socks_.size(); ++s) {
    if (socks_.socket(s) != INVALID_SOCKET) CancelIoEx(reinterpret_cast<HANDLE>(socks_.socket(s)), nullptr);
  }
  // Each posted receive completes exactly once (data or cancelled). One that
  // already holds a datagram was received but never handed out.
  for (int idle = 0; outstanding_ > 0 && idle < 50;) {
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(iocp_, entries_.data(), static_cast<ULONG>(entries_.size()), &n, 20,
                                     FALSE)) {
      ++idle;
      continue;
    }
    for (ULONG i = 0; i < n; ++i) {
      Recv* r = reinterpret_cast<Recv*>(entries_[i].lpOverlapped);
      r->posted = false;
      --posted_[r->sock];
      --outstanding_;
      free_.push_back(static_cast<uint32_t>(r - recv_.data()));
      if (r->ov.Internal == 0) socks_.probe(r->sock).shutdown_drops.add();
    }
  }
}

void IocpEngine::discard_and_close() {
  cancel_all();
  socks_.discard_queued_and_close();
}

std::string IocpEngine::probe_support() {
  if (Status st = win_udp::winsock_start(); !st) return st.message();
  SOCKET s = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET) return win_udp::os_status(WSAGetLastError(), "WSASocket").message();
  GUID id = WSAID_WSARECVMSG;
  LPFN_WSARECVMSG fn = nullptr;
  DWORD got = 0;
  int r =
      WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn, sizeof fn, &got, nullptr, nullptr);
  std::string why = r == 0 ? "" : win_udp::os_status(WSAGetLastError(), "WSAIoctl(WSARecvMsg)").message();
  closesocket(s);
  return why;
}

}  // namespace ringest::rio
