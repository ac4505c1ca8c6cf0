#include "rio/windows/rio_engine.h"

#include <algorithm>

#include "common/clock.h"
#include "rio/windows/udp_socket.h"

namespace ringest::rio {

RioEngine::RioEngine(const EngineOptions& opts, const RIO_EXTENSION_FUNCTION_TABLE& rio)
    : opts_(opts), rio_(rio), pool_(opts.slot_bytes, std::max<uint32_t>(opts.slots, 1)) {
  results_.resize(std::max<uint32_t>(opts_.batch, 1));
  out_.reserve(pool_.slots());
}

RioEngine::~RioEngine() {
  // Closing a socket ends its request queue and the receives posted on it;
  // only then may the completion queue and the registration go.
  socks_.close_all();
  if (cq_ != RIO_INVALID_CQ) rio_.RIOCloseCompletionQueue(cq_);
  if (buffer_ != RIO_INVALID_BUFFERID) rio_.RIODeregisterBuffer(buffer_);
  if (iocp_) CloseHandle(iocp_);
}

Status RioEngine::add_socket(const SocketSpec& spec, BoundSocket& bound) {
  return socks_.add(spec, WSA_FLAG_REGISTERED_IO, bound);
}

Status RioEngine::start() {
  if (!pool_.ok()) return win_udp::os_status(ERROR_NOT_ENOUGH_MEMORY, "buffer pool");
  if (pool_.slot_bytes() <= kAddressBytes) return Status::invalid("rio engine: slot_bytes too small");
  if (socks_.size() == 0) return Status::invalid("rio engine: no socket");
  if (Status st = create_queues(); !st) return st;
  free_.reserve(pool_.slots());
  for (uint32_t s = pool_.slots(); s-- > 0;) free_.push_back(s);
  starved_.assign(socks_.size(), false);
  post_all();
  return {};
}

Status RioEngine::create_queues() {
  iocp_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (!iocp_) return win_udp::os_status(GetLastError(), "CreateIoCompletionPort");
  buffer_ =
      rio_.RIORegisterBuffer(reinterpret_cast<PCHAR>(pool_.data()), static_cast<DWORD>(pool_.size_bytes()));
  if (buffer_ == RIO_INVALID_BUFFERID) return win_udp::os_status(WSAGetLastError(), "RIORegisterBuffer");
  depth_ = std::max<uint32_t>(1, pool_.slots() / socks_.size());
  // Every request queue charges its receives and its one send against the
  // completion queue, which therefore can never overflow.
  RIO_NOTIFICATION_COMPLETION n{};
  n.Type = RIO_IOCP_COMPLETION;
  n.Iocp.IocpHandle = iocp_;
  n.Iocp.CompletionKey = nullptr;
  n.Iocp.Overlapped = &notify_ov_;
  cq_ = rio_.RIOCreateCompletionQueue((depth_ + 1) * socks_.size(), &n);
  if (cq_ == RIO_INVALID_CQ) return win_udp::os_status(WSAGetLastError(), "RIOCreateCompletionQueue");
  posted_.assign(socks_.size(), 0);
  for (uint16_t s = 0; s < socks_.size(); ++s) {
    RIO_RQ rq = rio_.RIOCreateRequestQueue(socks_.socket(s), depth_, 1, 1, 1, cq_, cq_,
                                           reinterpret_cast<PVOID>(static_cast<uintptr_t>(s)));
    if (rq == RIO_INVALID_RQ) return win_udp::os_status(WSAGetLastError(), "RIOCreateRequestQueue");
    rq_.push_back(rq);
  }
  return {};
}

void RioEngine::post(uint16_t sock) {
  const uint32_t sb = pool_.slot_bytes();
  while (posted_[sock] < depth_ && !free_.empty() && socks_.socket(sock) != INVALID_SOCKET) {
    uint32_t slot = free_.back();
    RIO_BUF data{buffer_, slot * sb + kAddressBytes, sb - kAddressBytes};
    RIO_BUF from{buffer_, slot * sb, sizeof(SOCKADDR_INET)};
    if (!rio_.RIOReceiveEx(rq_[sock], &data, 1, nullptr, &from, nullptr, nullptr, 0,
                           reinterpret_cast<PVOID>(static_cast<uintptr_t>(slot)))) {
      socks_.probe(sock).errors.add();  // the request queue refused: try again after the next harvest
      break;
    }
    free_.pop_back();
    ++posted_[sock];
    ++outstanding_;
  }
  bool starved = posted_[sock] == 0 && free_.empty();
  if (starved && !starved_[sock]) probe_.pool_exhausted.add();
  starved_[sock] = starved;
}

void RioEngine::post_all() {
  for (uint16_t s = 0; s < socks_.size(); ++s) post(s);
}

uint32_t RioEngine::poll(DatagramHandler& handler, int timeout_ms) {
  out_.clear();
  if (cq_ == RIO_INVALID_CQ || corrupt_) return 0;
  if (!more_) {
    if (!armed_) {
      int r = rio_.RIONotify(cq_);
      if (r != ERROR_SUCCESS && r != WSAEALREADY) {
        socks_.probe(0).errors.add();
        return 0;
      }
      armed_ = true;
    }
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED* ov = nullptr;
    BOOL ok =
        GetQueuedCompletionStatus(iocp_, &bytes, &key, &ov, static_cast<DWORD>(std::max(timeout_ms, 0)));
    if (!ok && ov == nullptr) return 0;  // timed out: still armed
    armed_ = false;                      // the notification fired: it is one-shot
  }
  dequeue(wall_ns());
  post_all();
  if (out_.empty()) return 0;
  probe_.wakeups.add();
  probe_.slots_in_use.add(out_.size());
  handler.on_datagrams(out_);
  return static_cast<uint32_t>(out_.size());
}

void RioEngine::dequeue(int64_t now_ns) {
  const ULONG batch = static_cast<ULONG>(results_.size());
  uint32_t budget = batch * socks_.size();  // at most one batch per socket
  more_ = false;
  while (budget > 0) {
    ULONG want = std::min<ULONG>(batch, budget);
    ULONG n = rio_.RIODequeueCompletion(cq_, results_.data(), want);
    if (n == RIO_CORRUPT_CQ) {
      // Misuse or memory corruption: nothing in the queue can be trusted.
      corrupt_ = true;
      socks_.probe(0).errors.add();
      return;
    }
    for (ULONG i = 0; i < n; ++i) handle(results_[i], now_ns);
    budget -= n;
    if (n < want) return;
  }
  more_ = true;
}

void RioEngine::handle(const RIORESULT& r, int64_t now_ns) {
  auto slot = static_cast<uint32_t>(r.RequestContext);
  auto sock = static_cast<uint16_t>(r.SocketContext);
  --posted_[sock];
  --outstanding_;
  SocketProbe& sp = socks_.probe(sock);
  if (r.Status != 0) {
    if (r.Status == WSAEMSGSIZE) {
      sp.truncated.add();
    } else if (!win_udp::is_transient(r.Status) && r.Status != WSA_OPERATION_ABORTED) {
      sp.errors.add();
    }
    free_.push_back(slot);
    return;
  }
  auto* from = reinterpret_cast<const sockaddr*>(pool_.slot(slot));
  socks_.accepted(sock, pool_.meta(slot), from, kAddressBytes, r.BytesTransferred, now_ns);
  out_.push_back(slot);
}

void RioEngine::release(std::span<const uint32_t> slots) {
  free_.insert(free_.end(), slots.begin(), slots.end());
  probe_.slots_in_use.set(probe_.slots_in_use.get() - slots.size());
  post_all();
}

void RioEngine::discard_and_close() {
  // What the stack still holds, then the receives the sockets' closing ends:
  // one that completed with data was received but never handed out.
  socks_.discard_queued_and_close();
  if (cq_ == RIO_INVALID_CQ || corrupt_) return;
  for (int idle = 0; outstanding_ > 0 && idle < 50; ++idle) {
    ULONG n = rio_.RIODequeueCompletion(cq_, results_.data(), static_cast<ULONG>(results_.size()));
    if (n == RIO_CORRUPT_CQ) return;
    for (ULONG i = 0; i < n; ++i) {
      const RIORESULT& r = results_[i];
      auto sock = static_cast<uint16_t>(r.SocketContext);
      --posted_[sock];
      --outstanding_;
      free_.push_back(static_cast<uint32_t>(r.RequestContext));
      if (r.Status == 0) socks_.probe(sock).shutdown_drops.add();
    }
    if (n == 0) Sleep(10);
  }
}

std::string RioEngine::load_table(RIO_EXTENSION_FUNCTION_TABLE& out) {
  if (Status st = win_udp::winsock_start(); !st) return st.message();
  SOCKET s =
      WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  if (s == INVALID_SOCKET)
    return win_udp::os_status(WSAGetLastError(), "WSASocket(WSA_FLAG_REGISTERED_IO)").message();
  GUID id = WSAID_MULTIPLE_RIO;
  out = RIO_EXTENSION_FUNCTION_TABLE{};
  out.cbSize = sizeof out;
  DWORD got = 0;
  int r = WSAIoctl(s, SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &out, sizeof out, &got,
                   nullptr, nullptr);
  std::string why;
  if (r != 0) {
    why = win_udp::os_status(WSAGetLastError(), "WSAIoctl(WSAID_MULTIPLE_RIO)").message();
  } else if (!out.RIOReceiveEx || !out.RIONotify || !out.RIODequeueCompletion || !out.RIORegisterBuffer) {
    why = "the RIO function table is incomplete";
  }
  closesocket(s);
  return why;
}

std::string RioEngine::probe_support() {
  RIO_EXTENSION_FUNCTION_TABLE t;
  return load_table(t);
}

}  // namespace ringest::rio
