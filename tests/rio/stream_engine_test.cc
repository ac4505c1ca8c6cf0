// The TCP engine suite, run against the stream engine this platform builds.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/rio/collector.h"
#include "tests/support/tcp_client.h"

#if defined(__linux__)
#include "rio/linux/uring_stream_engine.h"
#define RINGEST_STREAM_ENGINES UringStreamEngine
#elif defined(_WIN32)
#include "rio/windows/iocp_stream_engine.h"
#define RINGEST_STREAM_ENGINES IocpStreamEngine
#endif

namespace ringest::rio {
namespace {

StreamOptions stream_options() {
  StreamOptions s;
  s.max_connections = 4;
  s.idle_timeout_ms = 0;
  s.max_line_bytes = 512;
  return s;
}

template <class E>
struct Fixture {
  explicit Fixture(StreamOptions s = stream_options(), uint32_t slots = 256) : engine(options(slots), s) {
    REQUIRE(engine.add_socket({"127.0.0.1:0", 9, 0, false}, bound).ok());
    REQUIRE(engine.start().ok());
    collect.engine = &engine;
  }
  static EngineOptions options(uint32_t slots) {
    EngineOptions o;
    o.slot_bytes = 1024;
    o.slots = slots;
    o.batch = 16;
    return o;
  }
  // Polls until `n` messages arrived or ~3 s passed.
  void poll_until(size_t n) {
    for (int i = 0; i < 300 && collect.payloads.size() < n; ++i) engine.poll(collect, 10);
  }
  template <typename Pred>
  void poll_while(Pred p) {
    for (int i = 0; i < 300 && p(); ++i) engine.poll(collect, 10);
  }
  const StreamProbe& stream() { return *engine.stream(); }
  E engine;
  BoundSocket bound;
  Collector collect;
};

TEST_CASE_TEMPLATE("tcp engine frames lines from connections, each with its listener and source", E,
                   RINGEST_STREAM_ENGINES) {
  Fixture<E> f;
  test::TcpClient a(f.bound.port), b(f.bound.port);
  REQUIRE(a.connected());
  REQUIRE(b.connected());
  REQUIRE(a.send("a.one 1 10\na.two"));
  f.poll_until(1);
  REQUIRE(b.send("b.one 2 20\r\n"));
  REQUIRE(a.send(" 3 30\n"));
  f.poll_until(3);
  REQUIRE(f.collect.payloads.size() == 3);
  std::vector<std::string> from_a, from_b;
  for (size_t i = 0; i < 3; ++i) {
    CHECK(f.collect.metas[i].listener == 9);
    CHECK(f.collect.metas[i].source.family == SourceAddress::kIPv4);
    (f.collect.metas[i].source.port == a.local_port() ? from_a : from_b).push_back(f.collect.payloads[i]);
  }
  CHECK(from_a == std::vector<std::string>{"a.one 1 10", "a.two 3 30"});
  CHECK(from_b == std::vector<std::string>{"b.one 2 20"});
  CHECK(f.engine.sockets()[0].datagrams.get() == 3);
  CHECK(f.stream().accepted.get() == 2);
  CHECK(f.stream().open.get() == 2);
}

TEST_CASE_TEMPLATE("tcp engine stops reading when the pool is full and loses nothing", E, RINGEST_STREAM_ENGINES) {
  Fixture<E> f(stream_options(), 16);
  f.collect.release_now = false;
  test::TcpClient tx(f.bound.port);
  REQUIRE(tx.connected());
  std::string all;
  for (int i = 0; i < 3000; ++i) all += "m." + std::to_string(i) + " 1 2\n";
  REQUIRE(tx.send(all));
  for (int i = 0; i < 30; ++i) f.engine.poll(f.collect, 10);
  CHECK(f.collect.payloads.size() == 16);
  CHECK(f.stream().stalls.get() >= 1);
  f.collect.release_now = true;
  f.collect.release_held();
  f.poll_until(3000);
  REQUIRE(f.collect.payloads.size() == 3000);
  for (int i = 0; i < 3000; ++i) CHECK(f.collect.payloads[i] == "m." + std::to_string(i) + " 1 2");
}

TEST_CASE_TEMPLATE("tcp engine does not close as idle a connection it stopped reading itself", E,
                   RINGEST_STREAM_ENGINES) {
  StreamOptions s = stream_options();
  s.idle_timeout_ms = 200;
  Fixture<E> f(s, 16);
  f.collect.release_now = false;
  test::TcpClient tx(f.bound.port);
  std::string all;
  for (int i = 0; i < 3000; ++i) all += "w." + std::to_string(i) + " 1 2\n";
  REQUIRE(tx.send(all));
  for (int i = 0; i < 80; ++i) f.engine.poll(f.collect, 10);  // ~0.8 s, four idle timeouts, the pool held
  CHECK(f.collect.payloads.size() == 16);
  CHECK(f.stream().idle_closed.get() == 0);
  f.collect.release_now = true;
  f.collect.release_held();
  f.poll_until(3000);
  CHECK(f.collect.payloads.size() == 3000);
  CHECK(f.stream().idle_closed.get() == 0);
}

TEST_CASE_TEMPLATE("tcp engine at shutdown counts every line it took and could not hand out", E,
                   RINGEST_STREAM_ENGINES) {
  Fixture<E> f(stream_options(), 16);
  f.collect.release_now = false;
  test::TcpClient tx(f.bound.port);
  std::string all;
  for (int i = 0; i < 3000; ++i) all += "s." + std::to_string(i) + " 1 2\n";
  REQUIRE(tx.send(all));
  for (int i = 0; i < 30; ++i) f.engine.poll(f.collect, 10);
  REQUIRE(f.collect.payloads.size() == 16);
  f.engine.discard_and_close();
  // Handed out + counted as shutdown drops = every line sent: the bytes
  // waiting for slots, in receive buffers and in the socket were all framed.
  const SocketProbe& sp = f.engine.sockets()[0];
  CHECK(sp.datagrams.get() == 16);
  CHECK(sp.datagrams.get() + sp.shutdown_drops.get() == 3000);
  CHECK(f.stream().partial.get() == 0);
  f.collect.release_held();
}

TEST_CASE_TEMPLATE("tcp engine refuses to take over a socket", E, RINGEST_STREAM_ENGINES) {
  E e(Fixture<E>::options(16), stream_options());
  BoundSocket bound;
  SocketSpec spec{"127.0.0.1:0", 1, 0, false};
  spec.take_over = 3;
  Status st = e.add_socket(spec, bound);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("take over") != std::string::npos);
}

TEST_CASE_TEMPLATE("tcp engine refuses connections past max_connections and counts them", E,
                   RINGEST_STREAM_ENGINES) {
  Fixture<E> f;
  std::vector<std::unique_ptr<test::TcpClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<test::TcpClient>(f.bound.port));
    REQUIRE(clients.back()->connected());
    REQUIRE(clients.back()->send("kept 1 1\n"));
  }
  f.poll_until(4);
  REQUIRE(f.stream().accepted.get() == 4);
  test::TcpClient extra(f.bound.port);  // the handshake is the kernel's; ringest then closes it
  f.poll_while([&] { return f.stream().refused.get() < 1; });
  CHECK(f.stream().refused.get() == 1);
  CHECK(extra.closed_by_peer());
  CHECK(f.stream().open.get() == 4);
  // A kept connection still works.
  REQUIRE(clients[0]->send("still 1 1\n"));
  f.poll_until(5);
  CHECK(f.collect.payloads.back() == "still 1 1");
  // One closes: a new one is accepted in its place.
  clients[1]->close();
  f.poll_while([&] { return f.stream().open.get() > 3; });
  test::TcpClient again(f.bound.port);
  REQUIRE(again.send("again 1 1\n"));
  f.poll_until(6);
  CHECK(f.collect.payloads.back() == "again 1 1");
  CHECK(f.stream().refused.get() == 1);
}

TEST_CASE_TEMPLATE("tcp engine closes a connection that sends nothing for idle_timeout_ms", E,
                   RINGEST_STREAM_ENGINES) {
  StreamOptions s = stream_options();
  s.idle_timeout_ms = 300;
  Fixture<E> f(s);
  test::TcpClient quiet(f.bound.port);
  REQUIRE(quiet.connected());
  f.poll_while([&] { return f.stream().idle_closed.get() == 0; });
  CHECK(f.stream().idle_closed.get() == 1);
  CHECK(quiet.closed_by_peer());
  f.poll_while([&] { return f.stream().open.get() > 0; });
  CHECK(f.stream().open.get() == 0);
}

TEST_CASE_TEMPLATE("tcp engine counts the partial line of a connection closed mid-line", E,
                   RINGEST_STREAM_ENGINES) {
  Fixture<E> f;
  {
    test::TcpClient tx(f.bound.port);
    REQUIRE(tx.send("whole 1 1\nhalf a li"));
  }
  f.poll_while([&] { return f.stream().partial.get() == 0; });
  CHECK(f.collect.payloads == std::vector<std::string>{"whole 1 1"});
  CHECK(f.stream().partial.get() == 1);
  CHECK(f.stream().open.get() == 0);
}

TEST_CASE_TEMPLATE("tcp engine at shutdown: empty once read, then a connection's unfinished line is partial", E,
                   RINGEST_STREAM_ENGINES) {
  Fixture<E> f;
  test::TcpClient tx(f.bound.port);
  REQUIRE(tx.send("done 1 1\nnot don"));
  f.poll_until(1);
  f.poll_while([&] { return !f.engine.sockets_empty(); });
  CHECK(f.engine.sockets_empty());
  f.engine.discard_and_close();
  CHECK(f.collect.payloads == std::vector<std::string>{"done 1 1"});
  CHECK(f.stream().partial.get() == 1);
  CHECK(f.stream().open.get() == 0);
  CHECK(f.engine.socket_handle(0) == -1);
}

}  // namespace
}  // namespace ringest::rio
