// The RIO test double keeps RIO's documented rules, and the RIO engine keeps
// them too when it runs over it (Wine has no Registered I/O).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rio/engine_factory.h"
#include "rio/windows/udp_socket.h"
#include "tests/rio/windows_engines.h"
#include "tests/support/udp_sender.h"

namespace ringest::rio {
namespace {

// A bound socket, a completion port and a registered slab, driven by hand.
struct RioBench {
  std::shared_ptr<test::RioDouble> d = test::RioDouble::acquire();
  RIO_EXTENSION_FUNCTION_TABLE rio = d->table();
  SOCKET s = INVALID_SOCKET;
  BoundSocket bound;
  HANDLE iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  OVERLAPPED ov{};
  std::vector<char> slab = std::vector<char>(4096);
  RIO_BUFFERID id = RIO_INVALID_BUFFERID;
  RIO_CQ cq = RIO_INVALID_CQ;

  explicit RioBench(DWORD cq_size = 8) {
    REQUIRE(win_udp::open_bound({"127.0.0.1:0", 1, 1u << 20, false}, WSA_FLAG_REGISTERED_IO, s, bound).ok());
    id = rio.RIORegisterBuffer(slab.data(), static_cast<DWORD>(slab.size()));
    REQUIRE(id != RIO_INVALID_BUFFERID);
    RIO_NOTIFICATION_COMPLETION n{};
    n.Type = RIO_IOCP_COMPLETION;
    n.Iocp.IocpHandle = iocp;
    n.Iocp.CompletionKey = reinterpret_cast<PVOID>(42);
    n.Iocp.Overlapped = &ov;
    cq = rio.RIOCreateCompletionQueue(cq_size, &n);
    REQUIRE(cq != RIO_INVALID_CQ);
  }
  ~RioBench() {
    closesocket(s);
    rio.RIOCloseCompletionQueue(cq);
    rio.RIODeregisterBuffer(id);
    CloseHandle(iocp);
  }
  bool receive(RIO_RQ rq, ULONG offset, ULONG length = 256, ULONG from_offset = 3072) {
    RIO_BUF data{id, offset, length};
    RIO_BUF from{id, from_offset, sizeof(SOCKADDR_INET)};
    return rio.RIOReceiveEx(rq, &data, 1, nullptr, &from, nullptr, nullptr, 0, nullptr);
  }
  // Waits up to ~2 s for the completion port to deliver the CQ's notification.
  bool notified() {
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED* got = nullptr;
    return GetQueuedCompletionStatus(iocp, &bytes, &key, &got, 2000) && got == &ov && key == 42;
  }
};

}  // namespace

TEST_CASE("rio double: a request queue must fit in its completion queue") {
  RioBench b(4);
  CHECK(b.rio.RIOCreateRequestQueue(b.s, 4, 1, 1, 1, b.cq, b.cq, nullptr) == RIO_INVALID_RQ);
  CHECK(WSAGetLastError() == WSAENOBUFS);
  CHECK(b.rio.RIOCreateRequestQueue(b.s, 3, 1, 1, 1, b.cq, b.cq, nullptr) != RIO_INVALID_RQ);
}

TEST_CASE("rio double: no more receives outstanding than the request queue allows") {
  RioBench b;
  RIO_RQ rq = b.rio.RIOCreateRequestQueue(b.s, 2, 1, 1, 1, b.cq, b.cq, nullptr);
  REQUIRE(rq != RIO_INVALID_RQ);
  CHECK(b.receive(rq, 0));
  CHECK(b.receive(rq, 512));
  CHECK_FALSE(b.receive(rq, 1024));
  CHECK(WSAGetLastError() == WSAENOBUFS);
}

TEST_CASE("rio double: buffer id, offset and length must lie inside a registration") {
  RioBench b;
  RIO_RQ rq = b.rio.RIOCreateRequestQueue(b.s, 4, 1, 1, 1, b.cq, b.cq, nullptr);
  REQUIRE(rq != RIO_INVALID_RQ);
  CHECK_FALSE(b.receive(rq, 4000, 256));  // runs past the end
  CHECK(WSAGetLastError() == WSAEINVAL);
  CHECK_FALSE(b.receive(rq, 0, 256, 4090));  // the address buffer runs past the end
  RIO_BUF unknown{reinterpret_cast<RIO_BUFFERID>(uintptr_t{999}), 0, 16};
  CHECK_FALSE(b.rio.RIOReceiveEx(rq, &unknown, 1, nullptr, nullptr, nullptr, nullptr, 0, nullptr));
  RIO_BUF data{b.id, 0, 256};
  RIO_BUF small{b.id, 3072, 8};  // too small for a SOCKADDR_INET
  CHECK_FALSE(b.rio.RIOReceiveEx(rq, &data, 1, nullptr, &small, nullptr, nullptr, 0, nullptr));
  CHECK(b.d->stats().receives_rejected >= 4);
}

TEST_CASE("rio double: RIONotify is one-shot and delivers the datagram with its source address") {
  RioBench b;
  RIO_RQ rq = b.rio.RIOCreateRequestQueue(b.s, 2, 1, 1, 1, b.cq, b.cq, reinterpret_cast<PVOID>(7));
  REQUIRE(rq != RIO_INVALID_RQ);
  RIO_BUF data{b.id, 100, 256};
  RIO_BUF from{b.id, 3072, sizeof(SOCKADDR_INET)};
  REQUIRE(b.rio.RIOReceiveEx(rq, &data, 1, nullptr, &from, nullptr, nullptr, 0, reinterpret_cast<PVOID>(9)));
  CHECK(b.rio.RIONotify(b.cq) == ERROR_SUCCESS);
  CHECK(b.rio.RIONotify(b.cq) == WSAEALREADY);
  test::UdpSender tx(b.bound.port);
  REQUIRE(tx.send("rio:1|c"));
  REQUIRE(b.notified());
  RIORESULT r[4];
  REQUIRE(b.rio.RIODequeueCompletion(b.cq, r, 4) == 1);
  CHECK(r[0].Status == 0);
  CHECK(r[0].BytesTransferred == 7);
  CHECK(r[0].SocketContext == 7);
  CHECK(r[0].RequestContext == 9);
  CHECK(std::string(b.slab.data() + 100, 7) == "rio:1|c");
  SourceAddress src;
  to_source(reinterpret_cast<const sockaddr*>(b.slab.data() + 3072), src);
  CHECK(src.port == tx.local_port());
  CHECK(b.rio.RIONotify(b.cq) == ERROR_SUCCESS);  // fired, so it can be armed again
}

TEST_CASE("rio double: a datagram longer than the buffer completes with WSAEMSGSIZE") {
  RioBench b;
  RIO_RQ rq = b.rio.RIOCreateRequestQueue(b.s, 2, 1, 1, 1, b.cq, b.cq, nullptr);
  REQUIRE(b.receive(rq, 0, 64));
  REQUIRE(b.rio.RIONotify(b.cq) == ERROR_SUCCESS);
  test::UdpSender tx(b.bound.port);
  REQUIRE(tx.send(std::string(200, 'x')));
  REQUIRE(b.notified());
  RIORESULT r[1];
  REQUIRE(b.rio.RIODequeueCompletion(b.cq, r, 1) == 1);
  CHECK(r[0].Status == WSAEMSGSIZE);
}

TEST_CASE("rio double: an overflowing completion queue reports RIO_CORRUPT_CQ") {
  auto d = test::RioDouble::acquire();
  d->set_cq_capacity_override(2);
  RioBench b(16);
  d->set_cq_capacity_override(0);
  RIO_RQ rq = b.rio.RIOCreateRequestQueue(b.s, 4, 1, 1, 1, b.cq, b.cq, nullptr);
  REQUIRE(rq != RIO_INVALID_RQ);
  for (ULONG i = 0; i < 4; ++i) REQUIRE(b.receive(rq, i * 512));
  test::UdpSender tx(b.bound.port);
  for (int i = 0; i < 4; ++i) REQUIRE(tx.send("o:1|c"));
  RIORESULT r[8];
  ULONG got = 0;
  for (int i = 0; i < 200 && got != RIO_CORRUPT_CQ; ++i) {
    Sleep(10);
    got = b.rio.RIODequeueCompletion(b.cq, r, 0);  // look without taking anything
  }
  CHECK(got == RIO_CORRUPT_CQ);
}

TEST_CASE("rio engine dequeues at most one batch per socket per poll and never re-arms an armed notify") {
  EngineOptions o;
  o.slot_bytes = 2048;
  o.slots = 64;
  o.batch = 4;
  RioEngineOverDouble e(o);
  BoundSocket bound;
  REQUIRE(e.add_socket({"127.0.0.1:0", 3, 1u << 20, false}, bound).ok());
  REQUIRE(e.start().ok());
  struct Count : DatagramHandler {
    Engine* e;
    size_t n = 0;
    void on_datagrams(std::span<const uint32_t> slots) override {
      n += slots.size();
      e->release(slots);
    }
  } c;
  c.e = &e;
  test::UdpSender tx(bound.port);
  for (int i = 0; i < 20; ++i) REQUIRE(tx.send("b:" + std::to_string(i) + "|c"));
  Sleep(200);  // all 20 are in the completion queue
  CHECK(e.poll(c, 100) == 4);
  for (int i = 0; i < 100 && c.n < 20; ++i) e.poll(c, 10);
  CHECK(c.n == 20);
  test::RioDouble::Stats st = e.double_table().stats();
  CHECK(st.max_dequeue_batch <= 4);
  CHECK(st.notifies_rejected == 0);
  CHECK(e.probe().slots_in_use.get() == 0);
}

TEST_CASE("rio engine stops on a corrupt completion queue and counts it") {
  EngineOptions o;
  o.slot_bytes = 2048;
  o.slots = 32;
  o.batch = 8;
  RioEngineOverDouble e(o);
  BoundSocket bound;
  REQUIRE(e.add_socket({"127.0.0.1:0", 3, 1u << 20, false}, bound).ok());
  e.double_table().set_cq_capacity_override(2);
  REQUIRE(e.start().ok());
  e.double_table().set_cq_capacity_override(0);
  struct Drop : DatagramHandler {
    Engine* e;
    void on_datagrams(std::span<const uint32_t> slots) override { e->release(slots); }
  } h;
  h.e = &e;
  test::UdpSender tx(bound.port);
  for (int i = 0; i < 10; ++i) REQUIRE(tx.send("c:1|c"));
  Sleep(200);
  for (int i = 0; i < 10; ++i) e.poll(h, 10);
  CHECK(e.sockets()[0].errors.get() == 1);
  CHECK(e.poll(h, 10) == 0);
}

TEST_CASE("the factory runs RIO where the system has it and says why not where it has not") {
  std::string why = RioEngine::probe_support();
  EngineChoice rio = make_engine(EngineKind::kRio, EngineOptions{});
  EngineChoice any = make_engine(EngineKind::kAuto, EngineOptions{});
  REQUIRE(any.engine != nullptr);
  if (why.empty()) {
    CHECK(rio.engine != nullptr);
    CHECK(any.engine->kind() == EngineKind::kRio);
  } else {
    // Wine: the table request answers WSAEOPNOTSUPP; auto falls back and says so.
    CHECK(rio.engine == nullptr);
    CHECK(any.engine->kind() == EngineKind::kIocp);
    CHECK(any.reason.find("rio unavailable") != std::string::npos);
  }
}

}  // namespace ringest::rio
