// The RIO test double: see rio_double.h for what it is and the rules it keeps.
#include "tests/rio/rio_double.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace ringest::test {

struct Registration {
  char* base;
  DWORD length;
};

struct Cq {
  DWORD size;
  DWORD charged = 0;
  bool charge = true;
  std::deque<RIORESULT> q;
  bool corrupt = false;
  bool has_notify = false;
  RIO_NOTIFICATION_COMPLETION notify{};
  bool armed = false;
};

struct Pending {
  RIO_BUF data;
  RIO_BUF from;
  PVOID context;
};

struct Rq {
  SOCKET s;
  ULONG max_recv;
  ULONG max_recv_buffers;
  ULONG max_send;
  Cq* cq;
  PVOID context;
  std::deque<Pending> pending;
  bool dead = false;
};

struct RioDouble::State {
  mutable std::mutex mu;
  std::map<uintptr_t, Registration> buffers;
  uintptr_t next_buffer = 1;
  std::vector<std::unique_ptr<Cq>> cqs;
  std::vector<std::unique_ptr<Rq>> rqs;
  uint32_t cq_override = 0;
  Stats stats;
  std::atomic<bool> stop{false};
  std::thread worker;
};

namespace {
std::mutex g_mu;
std::weak_ptr<RioDouble> g_weak;
RioDouble* g_double = nullptr;
}  // namespace

// The table's entry points, and the worker that plays the kernel.
struct RioDoubleApi {
  static RioDouble::State& st() { return *g_double->st_; }

  static BOOL fail(int err) {
    WSASetLastError(err);
    return FALSE;
  }

  // The bytes a RIO_BUF names, or null if it breaks the buffer rules.
  static char* resolve(RioDouble::State& s, const RIO_BUF& b) {
    auto it = s.buffers.find(reinterpret_cast<uintptr_t>(b.BufferId));
    if (it == s.buffers.end()) return nullptr;
    if (b.Length == 0 || uint64_t(b.Offset) + b.Length > it->second.length) return nullptr;
    return it->second.base + b.Offset;
  }

  static Cq* find_cq(RioDouble::State& s, RIO_CQ cq) {
    for (auto& c : s.cqs)
      if (reinterpret_cast<RIO_CQ>(c.get()) == cq) return c.get();
    return nullptr;
  }

  static Rq* find_rq(RioDouble::State& s, RIO_RQ rq) {
    for (auto& r : s.rqs)
      if (reinterpret_cast<RIO_RQ>(r.get()) == rq) return r.get();
    return nullptr;
  }

  static void notify(Cq& c) {
    c.armed = false;
    PostQueuedCompletionStatus(c.notify.Iocp.IocpHandle, 0,
                               reinterpret_cast<ULONG_PTR>(c.notify.Iocp.CompletionKey),
                               static_cast<OVERLAPPED*>(c.notify.Iocp.Overlapped));
  }

  static void complete(Cq& c, const RIORESULT& r) {
    if (c.q.size() >= c.size) {
      c.corrupt = true;  // RIO's own queue overflowed: its state is lost
      return;
    }
    c.q.push_back(r);
    if (c.armed) notify(c);
  }

  static BOOL PASCAL Receive(RIO_RQ, PRIO_BUF, ULONG, DWORD, PVOID) { return fail(WSAEOPNOTSUPP); }

  static int PASCAL ReceiveEx(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local, PRIO_BUF remote,
                              PRIO_BUF control, PRIO_BUF flags, DWORD, PVOID context) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    Rq* r = find_rq(s, rq);
    if (!r || r->dead) return fail(WSAEINVAL);
    auto reject = [&](int err) {
      ++s.stats.receives_rejected;
      return fail(err);
    };
    if (count != 1 || count > r->max_recv_buffers || local || control || flags) return reject(WSAEINVAL);
    if (r->pending.size() >= r->max_recv) return reject(WSAENOBUFS);
    if (!resolve(s, *data)) return reject(WSAEINVAL);
    if (remote && (remote->Length < sizeof(SOCKADDR_INET) || !resolve(s, *remote))) return reject(WSAEINVAL);
    r->pending.push_back({*data, remote ? *remote : RIO_BUF{RIO_INVALID_BUFFERID, 0, 0}, context});
    ++s.stats.receives_posted;
    return TRUE;
  }

  static BOOL PASCAL Send(RIO_RQ, PRIO_BUF, ULONG, DWORD, PVOID) { return fail(WSAEOPNOTSUPP); }
  static BOOL PASCAL SendEx(RIO_RQ, PRIO_BUF, ULONG, PRIO_BUF, PRIO_BUF, PRIO_BUF, PRIO_BUF, DWORD, PVOID) {
    return fail(WSAEOPNOTSUPP);
  }

  static VOID PASCAL CloseCompletionQueue(RIO_CQ cq) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    Cq* c = find_cq(s, cq);
    if (!c) return;
    std::erase_if(s.rqs, [&](const std::unique_ptr<Rq>& r) { return r->cq == c; });
    std::erase_if(s.cqs, [&](const std::unique_ptr<Cq>& x) { return x.get() == c; });
  }

  static RIO_CQ PASCAL CreateCompletionQueue(DWORD size, PRIO_NOTIFICATION_COMPLETION n) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    if (size < 1 || size > RIO_MAX_CQ_SIZE) {
      WSASetLastError(WSAEINVAL);
      return RIO_INVALID_CQ;
    }
    if (n && (n->Type != RIO_IOCP_COMPLETION || !n->Iocp.IocpHandle || !n->Iocp.Overlapped)) {
      WSASetLastError(WSAEINVAL);  // this double models IOCP notification only
      return RIO_INVALID_CQ;
    }
    auto c = std::make_unique<Cq>();
    c->size = s.cq_override ? s.cq_override : size;
    c->charge = s.cq_override == 0;
    if (n) {
      c->has_notify = true;
      c->notify = *n;
    }
    s.cqs.push_back(std::move(c));
    return reinterpret_cast<RIO_CQ>(s.cqs.back().get());
  }

  static RIO_RQ PASCAL CreateRequestQueue(SOCKET sock, ULONG max_recv, ULONG max_recv_buffers, ULONG max_send,
                                          ULONG, RIO_CQ recv_cq, RIO_CQ send_cq, PVOID context) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    Cq* c = find_cq(s, recv_cq);
    if (!c || recv_cq != send_cq || max_recv == 0 || max_recv_buffers == 0) {
      WSASetLastError(WSAEINVAL);  // one queue for both directions is all ringest uses
      return RIO_INVALID_RQ;
    }
    if (c->charge && uint64_t(c->charged) + max_recv + max_send > c->size) {
      WSASetLastError(WSAENOBUFS);
      return RIO_INVALID_RQ;
    }
    if (c->charge) c->charged += max_recv + max_send;
    u_long nonblocking = 1;
    ioctlsocket(sock, FIONBIO, &nonblocking);
    auto r = std::make_unique<Rq>();
    *r = Rq{sock, max_recv, max_recv_buffers, max_send, c, context, {}, false};
    s.rqs.push_back(std::move(r));
    return reinterpret_cast<RIO_RQ>(s.rqs.back().get());
  }

  static ULONG PASCAL DequeueCompletion(RIO_CQ cq, PRIORESULT out, ULONG n) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    Cq* c = find_cq(s, cq);
    if (!c || c->corrupt) return RIO_CORRUPT_CQ;
    s.stats.max_dequeue_batch = std::max<uint64_t>(s.stats.max_dequeue_batch, n);
    ULONG k = 0;
    for (; k < n && !c->q.empty(); ++k) {
      out[k] = c->q.front();
      c->q.pop_front();
    }
    return k;
  }

  static VOID PASCAL DeregisterBuffer(RIO_BUFFERID id) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    s.buffers.erase(reinterpret_cast<uintptr_t>(id));
  }

  static INT PASCAL Notify(RIO_CQ cq) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    Cq* c = find_cq(s, cq);
    if (!c || !c->has_notify) return WSAEINVAL;
    if (c->armed) {
      ++s.stats.notifies_rejected;
      return WSAEALREADY;
    }
    ++s.stats.notifies;
    c->armed = true;
    if (!c->q.empty()) notify(*c);
    return ERROR_SUCCESS;
  }

  static RIO_BUFFERID PASCAL RegisterBuffer(PCHAR base, DWORD length) {
    RioDouble::State& s = st();
    std::lock_guard lock(s.mu);
    if (!base || length == 0) {
      WSASetLastError(WSAEINVAL);
      return RIO_INVALID_BUFFERID;
    }
    uintptr_t id = s.next_buffer++;
    s.buffers[id] = {base, length};
    return reinterpret_cast<RIO_BUFFERID>(id);
  }

  static BOOL PASCAL ResizeCompletionQueue(RIO_CQ, DWORD) { return fail(WSAEOPNOTSUPP); }
  static BOOL PASCAL ResizeRequestQueue(RIO_RQ, DWORD, DWORD) { return fail(WSAEOPNOTSUPP); }

  // One receive for `r` if its socket has a datagram. Called with the lock held.
  static void try_receive(RioDouble::State& s, Rq& r) {
    Pending& p = r.pending.front();
    char* data = resolve(s, p.data);
    if (!data) return;  // deregistered under a posted receive: leave it
    sockaddr_storage from{};
    int from_len = sizeof from;
    int n = recvfrom(r.s, data, static_cast<int>(p.data.Length), 0, reinterpret_cast<sockaddr*>(&from),
                     &from_len);
    RIORESULT res{};
    res.SocketContext = reinterpret_cast<uintptr_t>(r.context);
    res.RequestContext = reinterpret_cast<uintptr_t>(p.context);
    if (n >= 0) {
      res.BytesTransferred = static_cast<ULONG>(n);
    } else {
      int err = WSAGetLastError();
      if (err == WSAEWOULDBLOCK) return;  // someone else read it first
      if (err == WSAENOTSOCK || err == WSAEINVAL) {
        r.dead = true;  // the socket was closed: every posted receive ends
        return;
      }
      res.Status = err;
      if (err == WSAEMSGSIZE) res.BytesTransferred = p.data.Length;
    }
    if (p.from.BufferId != RIO_INVALID_BUFFERID) {
      if (char* a = resolve(s, p.from)) {
        std::memset(a, 0, sizeof(SOCKADDR_INET));
        std::memcpy(a, &from, std::min<size_t>(from_len, sizeof(SOCKADDR_INET)));
      }
    }
    r.pending.pop_front();
    complete(*r.cq, res);
  }

  static void abort_dead(Rq& r) {
    while (!r.pending.empty()) {
      RIORESULT res{};
      res.Status = WSA_OPERATION_ABORTED;
      res.SocketContext = reinterpret_cast<uintptr_t>(r.context);
      res.RequestContext = reinterpret_cast<uintptr_t>(r.pending.front().context);
      r.pending.pop_front();
      complete(*r.cq, res);
    }
  }

  static void run(RioDouble::State& s) {
    while (!s.stop.load()) {
      fd_set readable;
      FD_ZERO(&readable);
      {
        std::lock_guard lock(s.mu);
        for (auto& r : s.rqs) {
          if (r->dead) abort_dead(*r);
          if (!r->dead && !r->pending.empty() && readable.fd_count < FD_SETSIZE) FD_SET(r->s, &readable);
        }
      }
      if (readable.fd_count == 0) {
        Sleep(1);
        continue;
      }
      timeval tv{0, 2000};
      int ready = select(0, &readable, nullptr, nullptr, &tv);
      std::lock_guard lock(s.mu);
      for (auto& r : s.rqs) {
        if (r->dead || r->pending.empty()) continue;
        // On a select error (a socket closed under it) try every socket: the
        // closed one reports itself.
        if (ready > 0 && !FD_ISSET(r->s, &readable)) continue;
        if (ready == 0) continue;
        while (!r->dead && !r->pending.empty()) {
          size_t before = r->pending.size();
          try_receive(s, *r);
          if (r->pending.size() == before) break;
        }
      }
    }
  }
};

RioDouble::RioDouble() : st_(std::make_unique<State>()) {}

RioDouble::~RioDouble() {
  st_->stop = true;
  if (st_->worker.joinable()) st_->worker.join();
  std::lock_guard lock(g_mu);
  if (g_double == this) g_double = nullptr;
}

std::shared_ptr<RioDouble> RioDouble::acquire() {
  std::lock_guard lock(g_mu);
  if (auto d = g_weak.lock()) return d;
  std::shared_ptr<RioDouble> d(new RioDouble());
  g_double = d.get();
  g_weak = d;
  State* s = d->st_.get();
  d->st_->worker = std::thread([s] { RioDoubleApi::run(*s); });
  return d;
}

RIO_EXTENSION_FUNCTION_TABLE RioDouble::table() const {
  RIO_EXTENSION_FUNCTION_TABLE t{};
  t.cbSize = sizeof t;
  t.RIOReceive = &RioDoubleApi::Receive;
  t.RIOReceiveEx = &RioDoubleApi::ReceiveEx;
  t.RIOSend = &RioDoubleApi::Send;
  t.RIOSendEx = &RioDoubleApi::SendEx;
  t.RIOCloseCompletionQueue = &RioDoubleApi::CloseCompletionQueue;
  t.RIOCreateCompletionQueue = &RioDoubleApi::CreateCompletionQueue;
  t.RIOCreateRequestQueue = &RioDoubleApi::CreateRequestQueue;
  t.RIODequeueCompletion = &RioDoubleApi::DequeueCompletion;
  t.RIODeregisterBuffer = &RioDoubleApi::DeregisterBuffer;
  t.RIONotify = &RioDoubleApi::Notify;
  t.RIORegisterBuffer = &RioDoubleApi::RegisterBuffer;
  t.RIOResizeCompletionQueue = &RioDoubleApi::ResizeCompletionQueue;
  t.RIOResizeRequestQueue = &RioDoubleApi::ResizeRequestQueue;
  return t;
}

void RioDouble::set_cq_capacity_override(uint32_t entries) {
  std::lock_guard lock(st_->mu);
  st_->cq_override = entries;
}

RioDouble::Stats RioDouble::stats() const {
  std::lock_guard lock(st_->mu);
  return st_->stats;
}

}  // namespace ringest::test
