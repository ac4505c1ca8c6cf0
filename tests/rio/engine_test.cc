// One engine test suite, run against every engine this build has.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/rio/collector.h"
#include "tests/support/udp_sender.h"

// The engines each platform builds. Windows keeps no per-socket count of
// datagrams its stack dropped, so the kernel-drop tests run on Linux only.
#if defined(__linux__)
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rio/linux/recvmmsg_engine.h"
#include "rio/linux/uring_engine.h"
#define RINGEST_ENGINES UringEngine, RecvmmsgEngine
#define RINGEST_KERNEL_DROP_ENGINES UringEngine, RecvmmsgEngine
#elif defined(_WIN32)
#include "tests/rio/windows_engines.h"
#define RINGEST_ENGINES IocpEngine, RioEngineOverDouble
#endif

namespace ringest::rio {
namespace {

EngineOptions small_options() {
  EngineOptions o;
  o.slot_bytes = 2048;
  o.slots = 256;
  o.batch = 32;
  return o;
}

template <class E>
struct Fixture {
  explicit Fixture(EngineOptions o = small_options(), uint32_t rcvbuf = 1u << 20, const char* addr = "127.0.0.1:0")
      : engine(o) {
    REQUIRE(engine.add_socket({addr, 7, rcvbuf, true}, bound).ok());
    REQUIRE(engine.start().ok());
    collect.engine = &engine;
  }
  // Polls until `n` datagrams arrived or ~2 s passed.
  void poll_until(size_t n) {
    for (int i = 0; i < 200 && collect.payloads.size() < n; ++i) engine.poll(collect, 10);
  }
  E engine;
  BoundSocket bound;
  Collector collect;
};

}  // namespace

TEST_CASE_TEMPLATE("engine delivers payload, listener and source address", E, RINGEST_ENGINES) {
  Fixture<E> f;
  CHECK(f.bound.port != 0);
  test::UdpSender tx(f.bound.port);
  REQUIRE(tx.send("a.b:1|c"));
  REQUIRE(tx.send(std::string(1500, 'x')));
  f.poll_until(2);
  REQUIRE(f.collect.payloads.size() == 2);
  CHECK(f.collect.payloads[0] == "a.b:1|c");
  CHECK(f.collect.payloads[1] == std::string(1500, 'x'));
  CHECK(f.collect.metas[0].listener == 7);
  CHECK(f.collect.metas[0].source.family == SourceAddress::kIPv4);
  CHECK(f.collect.metas[0].source.port == tx.local_port());
  CHECK(f.collect.metas[0].source.to_string() == "127.0.0.1:" + std::to_string(tx.local_port()));
  CHECK(f.collect.metas[0].receive_ns > 0);
  CHECK(f.engine.sockets()[0].datagrams.get() == 2);
  CHECK(f.engine.sockets()[0].bytes.get() == 7 + 1500);
}

TEST_CASE_TEMPLATE("engine reports the receive buffer granted in the units asked for", E, RINGEST_ENGINES) {
  // Linux reads back twice what it grants (bookkeeping), Windows what it
  // grants: either way the bound socket says what was granted, as asked.
  Fixture<E> f(small_options(), 64u << 10);
  CHECK(f.bound.rcvbuf_granted == 64u << 10);
  CHECK_FALSE(f.bound.rcvbuf_capped);
}

TEST_CASE_TEMPLATE("engine receives over IPv6 loopback", E, RINGEST_ENGINES) {
  Fixture<E> f(small_options(), 1u << 20, "[::1]:0");
  test::UdpSender tx(f.bound.port, true);
  REQUIRE(tx.send("v6:1|c"));
  f.poll_until(1);
  REQUIRE(f.collect.payloads.size() == 1);
  CHECK(f.collect.payloads[0] == "v6:1|c");
  CHECK(f.collect.metas[0].source.family == SourceAddress::kIPv6);
}

TEST_CASE_TEMPLATE("engine reuses released slots for many more datagrams than it has", E, RINGEST_ENGINES) {
  Fixture<E> f;
  test::UdpSender tx(f.bound.port);
  const int kTotal = 5000;  // ~20x the pool, in bursts that fit the socket buffer
  int sent = 0;
  while (sent < kTotal) {
    for (int i = 0; i < 100; ++i, ++sent) REQUIRE(tx.send("m:" + std::to_string(sent) + "|c"));
    f.poll_until(static_cast<size_t>(sent));
  }
  REQUIRE(f.collect.payloads.size() == kTotal);
  for (int i = 0; i < kTotal; ++i) REQUIRE(f.collect.payloads[i] == "m:" + std::to_string(i) + "|c");
  CHECK(f.engine.probe().slots_in_use.get() == 0);
}

TEST_CASE_TEMPLATE("engine counts a datagram longer than a slot as truncated and goes on", E, RINGEST_ENGINES) {
  Fixture<E> f;
  test::UdpSender tx(f.bound.port);
  REQUIRE(tx.send(std::string(4000, 'y')));
  REQUIRE(tx.send("after:1|c"));
  f.poll_until(1);
  for (int i = 0; i < 5; ++i) f.engine.poll(f.collect, 10);
  REQUIRE(f.collect.payloads.size() == 1);
  CHECK(f.collect.payloads[0] == "after:1|c");
  CHECK(f.engine.sockets()[0].truncated.get() == 1);
}

TEST_CASE_TEMPLATE("engine waits out an exhausted pool and resumes when slots return", E, RINGEST_ENGINES) {
  EngineOptions o = small_options();
  o.slots = 16;
  Fixture<E> f(o);
  f.collect.release_now = false;
  test::UdpSender tx(f.bound.port);
  for (int i = 0; i < 40; ++i) REQUIRE(tx.send("x:" + std::to_string(i) + "|c"));
  for (int i = 0; i < 20; ++i) f.engine.poll(f.collect, 10);
  CHECK(f.collect.payloads.size() == 16);
  CHECK(f.engine.probe().pool_exhausted.get() >= 1);
  CHECK(f.engine.probe().slots_in_use.get() == 16);
  f.collect.release_now = true;
  f.collect.release_held();
  f.poll_until(40);
  REQUIRE(f.collect.payloads.size() == 40);
  for (int i = 0; i < 40; ++i) CHECK(f.collect.payloads[i] == "x:" + std::to_string(i) + "|c");
}

#ifdef RINGEST_KERNEL_DROP_ENGINES
TEST_CASE_TEMPLATE("engine accounts for every datagram when the socket buffer overflows", E,
                   RINGEST_KERNEL_DROP_ENGINES) {
  Fixture<E> f(small_options(), 4096);  // a tiny receive buffer
  test::UdpSender tx(f.bound.port);
  const int kSent = 2000;
  for (int i = 0; i < kSent; ++i) REQUIRE(tx.send(std::string(200, 'z')));
  for (int i = 0; i < 50; ++i) f.engine.poll(f.collect, 10);
  const SocketProbe& sp = f.engine.sockets()[0];
  CHECK(sp.kernel_drops_rcvbuf.get() > 0);  // slots were free: the socket buffer was too small
  CHECK(sp.kernel_drops_no_slot.get() == 0);
  CHECK(f.collect.payloads.size() + sp.kernel_drops_rcvbuf.get() == kSent);
}

TEST_CASE_TEMPLATE("engine blames kernel drops during pool exhaustion on the pool", E,
                   RINGEST_KERNEL_DROP_ENGINES) {
  EngineOptions o = small_options();
  o.slots = 16;
  Fixture<E> f(o, 4096);
  f.collect.release_now = false;
  test::UdpSender tx(f.bound.port);
  for (int i = 0; i < 17; ++i) {  // one at a time: the socket buffer holds only a few
    REQUIRE(tx.send("fill:1|c"));
    f.engine.poll(f.collect, 10);
  }
  for (int i = 0; i < 5; ++i) f.engine.poll(f.collect, 10);
  REQUIRE(f.collect.payloads.size() == 16);
  CHECK(f.engine.probe().pool_exhausted.get() >= 1);
  const int kBurst = 2000;
  for (int i = 0; i < kBurst; ++i) REQUIRE(tx.send(std::string(200, 'z')));
  for (int i = 0; i < 5; ++i) f.engine.poll(f.collect, 10);
  f.collect.release_now = true;
  f.collect.release_held();
  for (int i = 0; i < 50; ++i) f.engine.poll(f.collect, 10);
  const SocketProbe& sp = f.engine.sockets()[0];
  CHECK(sp.kernel_drops_no_slot.get() > 0);
  CHECK(f.collect.payloads.size() + sp.kernel_drops_no_slot.get() + sp.kernel_drops_rcvbuf.get() ==
        17 + kBurst);
}

#endif  // RINGEST_KERNEL_DROP_ENGINES

TEST_CASE_TEMPLATE("engine counts what is still queued at shutdown", E, RINGEST_ENGINES) {
  EngineOptions o = small_options();
  o.slots = 4;
  Fixture<E> f(o);
  f.collect.release_now = false;
  test::UdpSender tx(f.bound.port);
  for (int i = 0; i < 10; ++i) REQUIRE(tx.send("q:1|c"));
  for (int i = 0; i < 5; ++i) f.engine.poll(f.collect, 10);
  CHECK(f.collect.payloads.size() == 4);
  CHECK_FALSE(f.engine.sockets_empty());
  f.engine.discard_and_close();
  CHECK(f.engine.sockets()[0].shutdown_drops.get() == 6);
}

TEST_CASE_TEMPLATE("two engines share a port with SO_REUSEPORT", E, RINGEST_ENGINES) {
  Fixture<E> a;
  E b(small_options());
  BoundSocket bound;
  REQUIRE(b.add_socket({"127.0.0.1:" + std::to_string(a.bound.port), 1, 1u << 20, true}, bound).ok());
  CHECK(bound.port == a.bound.port);
  REQUIRE(b.start().ok());
}

TEST_CASE_TEMPLATE("engine hands its socket over without closing the port, or says it can't", E, RINGEST_ENGINES) {
  Fixture<E> a(small_options(), 4096);  // a tiny receive buffer: kernel drops before the hand-over
  E b(small_options());
  BoundSocket bound;
  SocketSpec spec{"127.0.0.1:" + std::to_string(a.bound.port), 8, 1u << 20, false};
  spec.take_over = a.engine.socket_handle(0);
  spec.taken_from = &a.engine.sockets()[0];
  if (spec.take_over < 0) {
    // Windows: a socket belongs to one completion port for life.
    spec.take_over = 0;
    Status st = b.add_socket(spec, bound);
    CHECK_FALSE(st.ok());
    CHECK(st.message().find("taken over") != std::string::npos);
    return;
  }
  test::UdpSender tx(a.bound.port);
  size_t sent = 0;
  for (; sent < 500; ++sent) REQUIRE(tx.send(std::string(200, 'a')));
  for (int i = 0; i < 20; ++i) a.engine.poll(a.collect, 10);
  const uint64_t drops_before = a.engine.sockets()[0].kernel_drops_rcvbuf.get();
  CHECK(drops_before > 0);

  REQUIRE(b.add_socket(spec, bound).ok());
  CHECK(bound.port == a.bound.port);
  CHECK(bound.rcvbuf_granted >= 1u << 20);  // the new setting, on the same socket
  for (int i = 0; i < 10; ++i, ++sent) REQUIRE(tx.send("between:1|c"));  // queued: neither engine reads
  a.engine.hand_over(a.collect);
  REQUIRE(b.start().ok());
  for (int i = 0; i < 10; ++i, ++sent) REQUIRE(tx.send("after:1|c"));
  Collector got;
  got.engine = &b;
  for (int i = 0; i < 200 && got.payloads.size() < 20; ++i) b.poll(got, 10);
  CHECK(got.payloads.size() == 20);  // what the socket held, and what came after
  for (const SlotMeta& m : got.metas) CHECK(m.listener == 8);
  // The old engine's drops stay its own: the new one counts on from its reading.
  CHECK(b.sockets()[0].kernel_drops_rcvbuf.get() == 0);
  CHECK(a.collect.payloads.size() + got.payloads.size() + a.engine.sockets()[0].kernel_drops_rcvbuf.get() == sent);
}

#if defined(__linux__)
TEST_CASE("the uring probe reports io_uring usable on this kernel") {
  CHECK(UringEngine::probe_support() == "");
}

TEST_CASE_TEMPLATE("engine receives over a Unix datagram socket, the sender's pid and uid as the source", E,
                   RINGEST_ENGINES) {
  char dir[] = "/tmp/ringest-unix-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/dsd.socket";
  {
    E engine(small_options());
    BoundSocket bound;
    SocketSpec spec{"unix://" + path, 9, 1u << 20, false};
    spec.unix_mode = 0620;
    REQUIRE(engine.add_socket(spec, bound).ok());
    struct stat st;
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0620);
    REQUIRE(engine.start().ok());
    Collector collect;
    collect.engine = &engine;

    int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    std::memcpy(to.sun_path, path.data(), path.size());
    // A full queue (net.unix.max_dgram_qlen) makes the sender wait: send
    // without blocking and let the engine drain it when it says EAGAIN.
    for (int i = 0, tries = 0; i < 100 && tries < 1000; ++tries) {
      const std::string line = "u:" + std::to_string(i) + "|c";
      if (sendto(tx, line.data(), line.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(line.size())) {
        ++i;
      } else {
        REQUIRE(errno == EAGAIN);
        engine.poll(collect, 10);
      }
    }
    close(tx);
    for (int i = 0; i < 200 && collect.payloads.size() < 100; ++i) engine.poll(collect, 10);
    REQUIRE(collect.payloads.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(collect.payloads[i] == "u:" + std::to_string(i) + "|c");
    CHECK(collect.metas[0].listener == 9);
    CHECK(collect.metas[0].source.family == SourceAddress::kUnix);
    CHECK(collect.metas[0].source.unix_pid() == static_cast<uint32_t>(getpid()));
    CHECK(collect.metas[0].source.unix_uid() == getuid());
    CHECK(engine.sockets()[0].datagrams.get() == 100);

    // The socket is live: a second one at the same path is refused, the file kept.
    E other(small_options());
    Status st2 = other.add_socket(spec, bound);
    CHECK_FALSE(st2.ok());
    CHECK(st2.message().find("another process receives on it") != std::string::npos);
    CHECK(stat(path.c_str(), &st) == 0);
  }
  unlink(path.c_str());
  rmdir(dir);
}
#elif defined(_WIN32)
TEST_CASE_TEMPLATE("engine refuses a unix:// address: Windows has no Unix datagram sockets", E, RINGEST_ENGINES) {
  E engine(small_options());
  BoundSocket bound;
  Status st = engine.add_socket({"unix:///run/ringest/dsd.socket", 1, 1u << 20, false}, bound);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("Unix datagram sockets do not exist on Windows") != std::string::npos);
}
#endif

}  // namespace ringest::rio
