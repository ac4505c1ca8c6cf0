// The whole pipeline in one process: engines → handoff → shards → log, read
// back through the log reader. Runs under TSan in the test suite.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "daemon/metrics.h"
#include "daemon/pipeline.h"
#include "rio/engine_factory.h"
#include "sinks/segment_reader.h"
#include "tests/support/temp_dir.h"
#include "tests/support/udp_sender.h"

namespace ringest {
namespace {

using test::TempDir;

Settings test_settings(const std::filesystem::path& dir, const std::string& engine) {
  Settings s;
  ListenerSettings l;
  l.name = "statsd";
  l.address = "127.0.0.1:0";
  l.engine = engine;
  l.rcvbuf_bytes = 4u << 20;
  s.listeners.push_back(l);
  s.receive.slots = 1024;
  s.storage.dir = dir.string();
  s.storage.batch_bytes = 64u << 10;
  s.parser_threads = 2;
  s.metrics_listen = "";
  return s;
}

// Every record in the data directory: seq tag → count, plus damage seen.
struct Collected : LogVisitor {
  std::map<uint16_t, size_t> per_listener;  // listener id → records
  std::map<uint64_t, int> seqs;
  std::multiset<std::string> measurements;
  std::vector<std::string> in_order;  // measurement, or "raw:" and the bytes; in offset order per partition
  size_t records = 0, damage = 0;
  void on_record(uint32_t, uint64_t, const RecordView& r) override {
    ++records;
    ++per_listener[r.origin.listener];
    measurements.insert(std::string(r.point.measurement));
    in_order.push_back(r.kind == RecordKind::kRaw ? "raw:" + std::string(r.raw) : std::string(r.point.measurement));
    for (const Tag& t : r.point.tags)
      if (t.key == "seq") ++seqs[std::stoull(std::string(t.value))];
  }
  void on_damage(const std::filesystem::path&, uint64_t, std::string_view) override { ++damage; }
};

Collected read_all(const std::filesystem::path& dir) {
  Collected c;
  std::vector<PartitionDir> parts;
  REQUIRE(list_partitions(dir, parts).ok());
  for (const PartitionDir& p : parts) REQUIRE(read_partition(p, c).ok());
  return c;
}

uint64_t received(const Pipeline& p) {
  uint64_t n = 0;
  for (const auto& l : p.listeners())
    for (const auto& r : l->receivers)
      for (const auto& s : r->engine().sockets())
        n += s.datagrams.get() + s.kernel_drops_rcvbuf.get() + s.kernel_drops_no_slot.get() + s.truncated.get();
  return n;
}

uint64_t dropped(const Pipeline& p) {
  uint64_t n = 0;
  for (const auto& l : p.listeners()) {
    for (const auto& r : l->receivers) {
      for (const auto& s : r->engine().sockets())
        n += s.kernel_drops_rcvbuf.get() + s.kernel_drops_no_slot.get() + s.truncated.get() + s.shutdown_drops.get();
      n += r->queue_full_drops();
    }
    for (size_t sh = 0; sh < p.shards().size(); ++sh) {
      const ShardListenerProbe& sp = l->state->probes[sh];
      n += sp.parse_dropped.get() + sp.filtered.get() + sp.too_large.get();
    }
  }
  for (const auto& sh : p.shards()) n += sh->log_probe().dropped_disk_full.get() + sh->log_probe().dropped_sink_error.get();
  return n;
}

void wait_received(const Pipeline& p, uint64_t n) {
  for (int i = 0; i < 1000 && received(p) < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

ListenerSettings listener(const std::string& name) {
  ListenerSettings l;
  l.name = name;
  l.address = "127.0.0.1:0";
  return l;
}

// Drops of one listener, summed over every stage.
uint64_t dropped_of(const Pipeline& p, const std::string& name) {
  uint64_t n = 0;
  for (const auto& l : p.listeners()) {
    if (l->state->settings.name != name) continue;
    for (const auto& r : l->receivers) {
      for (const auto& s : r->engine().sockets())
        n += s.kernel_drops_rcvbuf.get() + s.kernel_drops_no_slot.get() + s.truncated.get() + s.shutdown_drops.get();
      n += r->queue_full_drops();
    }
    for (size_t sh = 0; sh < p.shards().size(); ++sh)
      n += l->state->probes[sh].parse_dropped.get() + l->state->probes[sh].filtered.get() +
           l->state->probes[sh].too_large.get();
  }
  return n;
}

// A pipeline of test_settings, started: one listener, two shards.
std::unique_ptr<Pipeline> start_two_shards(const std::filesystem::path& dir) {
  Pipeline::Failure failure;
  auto p = Pipeline::start(test_settings(dir, "auto"), failure);
  REQUIRE_MESSAGE(p, failure.message);
  REQUIRE(p->shards().size() == 2);
  return p;
}

}  // namespace

TEST_CASE("pipeline stores every datagram with its sequence number, on every engine") {
  int ran = 0;
  for (rio::EngineKind kind : rio::built_engines()) {
    std::string engine(rio::to_string(kind));
    CAPTURE(engine);
    // Built but not usable here (Wine has no Registered I/O): said, not run.
    rio::EngineChoice usable = rio::make_engine(kind, {});
    if (!usable.engine) {
      MESSAGE("not run on engine " << engine << ": " << usable.reason);
      continue;
    }
    // An engine that cannot count kernel drops (Windows) must lose none for
    // the sums to hold: it gets a gentler stream (Wine's sockets are slow).
    const bool drops_visible = usable.engine->counts_kernel_drops();
    usable.engine.reset();
    ++ran;
    TempDir dir;
    Pipeline::Failure failure;
    auto p = Pipeline::start(test_settings(dir.path(), engine), failure);
    REQUIRE_MESSAGE(p, failure.message);
    test::UdpSender tx(p->port(0));
    const uint64_t kSent = drops_visible ? 20000 : 5000;
    const auto pause = drops_visible ? std::chrono::microseconds(500) : std::chrono::microseconds(50'000);
    for (uint64_t seq = 0; seq < kSent; ++seq) {
      REQUIRE(tx.send("pipe.metric:1|c|#seq:" + std::to_string(seq)));
      if (seq % 200 == 199) std::this_thread::sleep_for(pause);
    }
    wait_received(*p, kSent);
    REQUIRE(p->stop(2000).ok());

    Collected c = read_all(dir.path());
    CHECK(c.damage == 0);
    uint64_t drops = dropped(*p);
    CHECK(c.records + drops == kSent);
    for (const auto& [seq, count] : c.seqs) REQUIRE(count == 1);
    CHECK(c.seqs.size() == c.records);
    uint64_t observed = 0;  // receive-to-durable samples, taken as interval syncs complete
    for (const auto& shard : p->shards())
      for (size_t b = 0; b <= DurableLatency::kBounds.size(); ++b) observed += shard->durable_latency().bucket(b);
    CHECK(observed > 0);
    if (drops == 0) CHECK(c.seqs.rbegin()->first == kSent - 1);
  }
  CHECK(ran > 0);
}

TEST_CASE("pipeline stops at once after sitting idle, its first shard asleep without a deadline") {
  // Idle long enough that no shard has a deadline left: shard 0 sleeps on the
  // queue until something is put in it. The stop must wake it whatever the
  // reserve does first.
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    TempDir dir;
    auto p = start_two_shards(dir.path());
    test::UdpSender tx(p->port(0));
    REQUIRE(tx.send("idle.then.stop:1|c"));
    wait_received(*p, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the sync interval (200 ms) and linger long past
    auto stopped = std::async(std::launch::async, [&] { return p->stop(2000).ok(); });
    if (stopped.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      // A hung stop can't be unwound from (the future waits for it): fail now.
      std::fprintf(stderr, "FAILED: Pipeline::stop did not return within 20 s (round %d)\n", round);
      std::_Exit(1);
    }
    CHECK(stopped.get());
    CHECK(read_all(dir.path()).records == 1);
  }
}

TEST_CASE("at a trickle the first shard takes every harvest and the reserve sleeps") {
  TempDir dir;
  auto p = start_two_shards(dir.path());
  test::UdpSender tx(p->port(0));
  constexpr uint64_t kSent = 200;
  for (uint64_t i = 0; i < kSent; ++i) {
    REQUIRE(tx.send("trickle:1|c"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  wait_received(*p, kSent);
  REQUIRE(p->stop(2000).ok());
  CHECK(read_all(dir.path()).records == kSent);
  CHECK(p->shards()[0]->taken() + p->shards()[1]->taken() == kSent);
  // The reserve takes a harvest only while kBacklogHarvests wait untaken, so
  // only while the first shard is stalled that long (8 ms here): seldom,
  // never for most. Taking in turns gave it about half.
  CHECK(p->shards()[1]->taken() < kSent / 4);
}

TEST_CASE("pipeline keeps good lines, counts bad ones by reason, and drops datagrams with none") {
  TempDir dir;
  Pipeline::Failure failure;
  auto p = Pipeline::start(test_settings(dir.path(), "auto"), failure);
  REQUIRE_MESSAGE(p, failure.message);
  test::UdpSender tx(p->port(0));
  REQUIRE(tx.send("good.a:1|c\nbad.line:1|zz\ngood.b:2|g"));  // 2 points, 1 unknown_type
  REQUIRE(tx.send("no colon here"));                         // nothing storable: dropped at parse
  REQUIRE(tx.send("good.c:3|ms|@0.5|#env:prod"));
  wait_received(*p, 3);
  REQUIRE(p->stop(2000).ok());

  Collected c = read_all(dir.path());
  CHECK(c.records == 3);
  CHECK(c.measurements == std::multiset<std::string>{"good.a", "good.b", "good.c"});
  std::string text = render_metrics(p.get(), nullptr);
  CHECK(text.find(R"(ringest_parse_errors_total{listener="statsd",format="statsd",reason="unknown_type"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(ringest_parse_errors_total{listener="statsd",format="statsd",reason="missing_colon"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(ringest_dropped_datagrams_total{listener="statsd",stage="parse",reason="parse_error"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(ringest_points_total{listener="statsd",format="statsd"} 3)") != std::string::npos);
  CHECK(text.find(R"(ringest_stored_datagrams_total)") != std::string::npos);
}

TEST_CASE("pipeline stores a datagram's records in line order, whatever path each line takes") {
  // Short metrics are handed to the log in runs; a tagged metric (a point), a
  // rejected line kept raw and the end of a run must not reorder them.
  TempDir dir;
  Settings s = test_settings(dir.path(), "auto");
  s.listeners[0].keep_raw = true;
  s.parser_threads = 1;
  Pipeline::Failure failure;
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);
  std::string datagram;
  std::vector<std::string> want;
  for (int i = 0; i < 150; ++i) {
    std::string line;
    if (i % 37 == 5) {
      line = "bad" + std::to_string(i) + ":1|zz";
      want.push_back("raw:" + line);
    } else if (i % 23 == 7) {
      line = "tagged" + std::to_string(i) + ":1|c|#env:prod";
      want.push_back("tagged" + std::to_string(i));
    } else {
      line = "m" + std::to_string(i) + ":" + std::to_string(i) + "|c";
      want.push_back("m" + std::to_string(i));
    }
    datagram += line + "\n";
  }
  test::UdpSender tx(p->port(0));
  REQUIRE(tx.send(datagram));
  REQUIRE(tx.send("after:1|c"));
  want.push_back("after");
  wait_received(*p, 2);
  REQUIRE(p->stop(2000).ok());

  Collected c = read_all(dir.path());
  CHECK(c.damage == 0);
  CHECK(c.in_order == want);
  std::string text = render_metrics(p.get(), nullptr);
  CHECK(text.find(R"(ringest_points_total{listener="statsd",format="statsd"} 147)") != std::string::npos);
  CHECK(text.find(R"(ringest_raw_records_total{listener="statsd"} 4)") != std::string::npos);
}

TEST_CASE("pipeline stopped mid-stream accounts for every datagram") {
  TempDir dir;
  Pipeline::Failure failure;
  Settings s = test_settings(dir.path(), "auto");
  s.receive.slots = 64;  // a small pool, so the stop finds work in every stage
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);
  test::UdpSender tx(p->port(0));
  const uint64_t kSent = 30000;
  for (uint64_t seq = 0; seq < kSent; ++seq) REQUIRE(tx.send("burst:1|c|#seq:" + std::to_string(seq)));
  REQUIRE(p->stop(100).ok());
  Collected c = read_all(dir.path());
  CHECK(c.damage == 0);
  Totals t = totals(*p);
  CHECK(c.records == t.stored);
  CAPTURE(t.dropped_detail);
  CAPTURE(t.kernel_dropped);
  CHECK(t.received == t.stored + t.dropped);  // everything taken in is stored or counted
  if (t.kernel_drops_counted) {
    CHECK(c.records + dropped(*p) == kSent);
  } else {
    // Windows: what the kernel dropped is not seen, so only an upper bound.
    CHECK(t.received <= kSent);
  }
}

TEST_CASE("pipeline reports an unusable data directory and a port in use") {
  TempDir dir;
  Pipeline::Failure failure;
  std::filesystem::path file = dir.path() / "file";
  std::ofstream(file).put('x');
  auto p = Pipeline::start(test_settings(file, "auto"), failure);
  CHECK_FALSE(p);
  CHECK(failure.kind == Pipeline::Failure::kStorage);

  auto a = Pipeline::start(test_settings(dir.path() / "a", "auto"), failure);
  REQUIRE(a);
  // One socket per listener binds without SO_REUSEPORT, so a second daemon
  // on the same port is refused instead of silently taking half the traffic.
  Settings s = test_settings(dir.path() / "b", "auto");
  s.listeners[0].address = "127.0.0.1:" + std::to_string(a->port(0));
  auto b = Pipeline::start(s, failure);
  CHECK_FALSE(b);
  CHECK(failure.kind == Pipeline::Failure::kSocket);
  CHECK(failure.message.find("in use") != std::string::npos);
  a->stop(0);
}

}  // namespace ringest

namespace ringest {

TEST_CASE("pipeline drops and counts datagrams from sources outside the allowlist and oversized ones") {
  TempDir dir;
  Settings s = test_settings(dir.path(), "auto");
  s.listeners[0].allow = {"10.0.0.0/8", "192.0.2.0/24"};
  ListenerSettings open = listener("open");
  open.max_datagram_bytes = 16;
  open.allow = {"127.0.0.0/8"};
  s.listeners.push_back(open);
  Pipeline::Failure failure;
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);
  test::UdpSender to_filtered(p->port(0));
  test::UdpSender to_open(p->port("open"));
  REQUIRE(to_filtered.send("blocked:1|c"));
  REQUIRE(to_open.send("ok:1|c"));
  REQUIRE(to_open.send("much.too.long.for.this:1|c"));
  wait_received(*p, 3);
  REQUIRE(p->stop(2000).ok());
  Collected c = read_all(dir.path());
  CHECK(c.measurements == std::multiset<std::string>{"ok"});
  std::string text = render_metrics(p.get(), nullptr);
  CHECK(text.find(R"(ringest_dropped_datagrams_total{listener="statsd",stage="filter",reason="not_allowed"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(ringest_dropped_datagrams_total{listener="open",stage="filter",reason="too_large"} 1)") !=
        std::string::npos);
}

TEST_CASE("pipeline reload adds and removes listeners while an untouched one keeps every datagram") {
  TempDir dir;
  Settings s = test_settings(dir.path(), "auto");
  s.listeners.push_back(listener("leaving"));
  Pipeline::Failure failure;
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);
  const uint16_t steady_port = p->port("statsd");

  std::atomic<bool> done{false};
  uint64_t sent = 0;
  std::thread load([&] {
    test::UdpSender tx(steady_port);
    while (!done.load() || sent < 5000) {
      REQUIRE(tx.send("steady:1|c|#seq:" + std::to_string(sent)));
      if (++sent % 100 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });

  Settings next = s;
  next.listeners = {s.listeners[0], listener("arriving")};
  std::vector<std::string> restart;
  REQUIRE(p->reload(next, restart).ok());
  CHECK(restart.empty());
  CHECK(p->port("leaving") == 0);
  REQUIRE(p->port("arriving") != 0);
  test::UdpSender(p->port("arriving")).send("arrived:1|c");

  next.listeners = {s.listeners[0]};
  next.storage.dir = (dir.path() / "elsewhere").string();
  REQUIRE(p->reload(next, restart).ok());
  CHECK(restart == std::vector<std::string>{"storage.dir"});  // named, not applied
  CHECK(p->listeners().size() == 1);

  done = true;
  load.join();
  wait_received(*p, sent);
  uint64_t steady_drops = dropped_of(*p, "statsd");
  REQUIRE(p->stop(2000).ok());
  Collected c = read_all(dir.path());
  CHECK(c.damage == 0);
  CHECK(c.per_listener[0] + steady_drops == sent);  // the steady listener has id 0
  CHECK(c.seqs.size() == c.per_listener[0]);
  CHECK(c.measurements.count("arrived") == 1);
}

}  // namespace ringest

namespace ringest {

TEST_CASE("pipeline reload: a listener moved to an address in use keeps running where it was; the reload fails naming it") {
  TempDir dir;
  Settings s = test_settings(dir.path(), "auto");
  s.listeners.push_back(listener("other"));
  Pipeline::Failure failure;
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);
  const uint16_t port = p->port("statsd");

  Settings next = s;
  next.listeners[0].address = "127.0.0.1:" + std::to_string(p->port("other"));  // taken by "other"
  std::vector<std::string> restart;
  Status st = p->reload(next, restart);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("listener 'statsd'") != std::string::npos);
  CHECK(p->port("statsd") == port);
  CHECK(p->listeners().size() == 2);
  test::UdpSender tx(port);
  for (int i = 0; i < 50; ++i) REQUIRE(tx.send("still.here:1|c|#seq:" + std::to_string(i)));
  wait_received(*p, 50);
  CHECK(received(*p) == 50);
  REQUIRE(p->stop(2000).ok());
  CHECK(read_all(dir.path()).seqs.size() == 50);
}

TEST_CASE("pipeline reload: a configuration without listeners is refused and the running ones are kept") {
  TempDir dir;
  Settings s = test_settings(dir.path(), "auto");
  Pipeline::Failure failure;
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);
  Settings next = s;
  next.listeners.clear();
  std::vector<std::string> restart;
  Status st = p->reload(next, restart);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("no listener") != std::string::npos);
  CHECK(p->listeners().size() == 1);
  CHECK(p->port("statsd") != 0);
  REQUIRE(p->stop(2000).ok());
}

// A listener changed in place on its own port: the old one drains and gives
// the port up, the new one takes it. Every datagram the daemon took in is
// stored or counted, and no counter goes backwards, across ten such reloads.
TEST_CASE("pipeline reload: changing a listener on its own port keeps the port open, the accounting and the counters") {
  TempDir dir;
  Settings s = test_settings(dir.path(), "auto");
  Pipeline::Failure failure;
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);
  const uint16_t port = p->port("statsd");
  const bool hands_over = p->listeners()[0]->receivers[0]->engine().socket_handle(0) >= 0;

  std::atomic<bool> done{false};
  std::atomic<uint64_t> sent{0};
  std::thread load([&] {
    test::UdpSender tx(port);
    while (!done.load()) {
      tx.send("changing:1|c|#seq:" + std::to_string(sent.load()));
      if (sent.fetch_add(1) % 50 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  Settings next = s;
  next.listeners[0].address = "127.0.0.1:" + std::to_string(port);
  uint64_t last_received = 0;
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    next.listeners[0].max_datagram_bytes = 60000 + i;  // a change each time
    next.listeners[0].sockets = 1 + (i * 2) % 3;     // and 1, 3, 2, 1, ... sockets
    next.listeners[0].rcvbuf_bytes = (4u + i % 2) << 20;
    std::vector<std::string> restart;
    const size_t had = p->listeners()[0]->receivers.size();
    REQUIRE(p->reload(next, restart).ok());
    CHECK(p->port("statsd") == port);
    CHECK(p->listeners().size() == 1);
    if (hands_over && next.listeners[0].sockets < had) {
      // Fewer sockets wait for a restart: closing one under traffic would
      // lose what reaches it between its last read and the close.
      CHECK(p->listeners()[0]->receivers.size() == had);
      REQUIRE(restart.size() == 1);
      CHECK(restart[0].find("sockets") != std::string::npos);
    } else {
      CHECK(p->listeners()[0]->receivers.size() == next.listeners[0].sockets);
    }
    Totals t = totals(*p);
    CHECK(t.received >= last_received);  // never backwards
    last_received = t.received;
  }
  done = true;
  load.join();
  // Settle: everything taken in is parsed and written.
  for (int i = 0; i < 300; ++i) {
    Totals t = totals(*p);
    if (t.received > 0 && t.received == t.stored + t.dropped) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(p->stop(2000).ok());
  Totals t = totals(*p);
  CHECK(t.received >= last_received);
  CHECK(t.received == t.stored + t.dropped);
  Collected c = read_all(dir.path());
  CHECK(c.damage == 0);
  CHECK(c.seqs.size() == t.stored);
  if (hands_over) {
    // The new listener took the sockets over: the port never closed, and
    // every datagram sent was received (and stored or counted dropped).
    CHECK(t.received + t.kernel_dropped == sent.load());
  } else {
    // Sockets that can't change hands (Windows): the port is closed while
    // the old listener drains and the new one binds, and what is sent then
    // is refused. Under Wine on a loaded 2-core machine those gaps took up
    // to 16% of these 30 ms steps, so the bound only says the port is open
    // most of the time; that nothing taken in was lost is the exact check
    // above (received == stored + dropped, every stored sequence read back).
    CHECK(t.received * 2 >= sent.load());
  }
}

}  // namespace ringest

namespace ringest {
namespace {

// The sum of the scraped series of `name` whose labels include every
// `key="value"` in `labels`.
double scraped(const std::string& text, const std::string& name, std::initializer_list<std::string> labels) {
  double sum = 0;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.rfind(name, 0) != 0 || line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' '))
      continue;
    bool all = true;
    for (const std::string& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace

TEST_CASE("pipeline keeps the ledger per listener: received == stored + drops for each, a removed one included") {
  TempDir dir;
  Settings s = test_settings(dir.path(), "auto");
  s.listeners = {listener("a"), listener("b")};
  s.storage.linger_ms = 1000;  // b's last datagrams still wait in the open batch when b is removed
  Pipeline::Failure failure;
  auto p = Pipeline::start(s, failure);
  REQUIRE_MESSAGE(p, failure.message);

  constexpr uint64_t kEach = 3000;
  auto send = [&](const std::string& name) {
    test::UdpSender tx(p->port(name));
    for (uint64_t i = 0; i < kEach; ++i) {
      tx.send(name + ".m:1|c|#seq:" + std::to_string(i));
      if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  };
  std::thread ta(send, "a"), tb(send, "b");
  ta.join();
  tb.join();
  wait_received(*p, 2 * kEach);

  Settings next = s;
  next.listeners = {s.listeners[0]};
  std::vector<std::string> restart;
  REQUIRE(p->reload(next, restart).ok());
  // Another reload at once: b is retired, but its last batch has not been
  // written yet, so its state must outlive this one's reaping.
  REQUIRE(p->reload(next, restart).ok());
  REQUIRE(p->stop(2000).ok());

  const std::string text = render_metrics(p.get(), nullptr);
  Collected c = read_all(dir.path());
  CHECK(c.damage == 0);
  const std::map<std::string, uint16_t> ids{{"a", 0}, {"b", 1}};  // config order
  for (const auto& entry : ids) {
    const std::string name = entry.first;  // not a structured binding: INFO captures it
    const uint16_t id = entry.second;
    const std::string l = "listener=\"" + name + "\"";
    const double received = scraped(text, "ringest_received_datagrams_total", {l});
    const double kernel = scraped(text, "ringest_dropped_datagrams_total", {l, "stage=\"kernel\""});
    const double after = scraped(text, "ringest_dropped_datagrams_total", {l}) - kernel;
    const double stored = scraped(text, "ringest_stored_datagrams_total", {l});
    INFO(name << ": received " << received << " kernel " << kernel << " stored " << stored << " dropped " << after);
    CHECK(received + kernel == double(kEach));
    CHECK(received == stored + after);
    CHECK(stored == double(c.per_listener[id]));  // one record per datagram here
    CHECK(stored > 0);
  }
  CHECK(scraped(text, "ringest_dropped_datagrams_total", {"listener=\"\""}) == 0);
}

}  // namespace ringest
