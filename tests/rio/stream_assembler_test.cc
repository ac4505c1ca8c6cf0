// Framing, bounds and flow control of a TCP listener, without sockets.
#include "rio/stream_assembler.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace ringest::rio {
namespace {

struct Rig {
  explicit Rig(Framing framing = Framing::kLines, uint32_t slots = 64, uint32_t max_line = 64)
      : pool(128, slots), asm_(pool, options(framing, max_line)) {
    asm_.socket_probe().listener = 3;
  }
  static StreamOptions options(Framing framing, uint32_t max_line) {
    StreamOptions o;
    o.framing = framing;
    o.max_line_bytes = max_line;
    o.max_connections = 4;
    o.idle_timeout_ms = 1000;
    return o;
  }
  // Feeds every piece to connection c; returns what came out, slots released.
  std::vector<std::string> feed(int32_t c, std::vector<std::string> pieces) {
    for (const std::string& p : pieces) CHECK(asm_.feed(c, p, 5, 5) == p.size());
    return take();
  }
  std::vector<std::string> take() {
    std::vector<std::string> got;
    for (uint32_t s : asm_.out()) {
      got.emplace_back(pool.payload(s));
      asm_.release(s);
    }
    asm_.out().clear();
    return got;
  }
  int32_t open() { return asm_.open(SourceAddress{}, 0); }
  BufferPool pool;
  StreamAssembler asm_;
};

using Lines = std::vector<std::string>;

TEST_CASE("lines end at a newline, one CR before it dropped, empty lines skipped, split anywhere") {
  Rig r;
  int32_t c = r.open();
  CHECK(r.feed(c, {"a.b 1 2\nc.d 3 4\r\n\n\r\ne.f"}) == Lines{"a.b 1 2", "c.d 3 4"});
  CHECK(r.feed(c, {" 5 6", "\r", "\ng"}) == Lines{"e.f 5 6"});
  CHECK(r.feed(c, {"h\n"}) == Lines{"gh"});
  CHECK(r.asm_.socket_probe().datagrams.get() == 4);
  r.asm_.close(c, StreamAssembler::Close::kPeer);
  CHECK(r.asm_.probe().partial.get() == 0);
}

TEST_CASE("a message carries its listener, source and receive time") {
  Rig r;
  SourceAddress peer;
  peer.family = SourceAddress::kIPv4;
  peer.port = 4711;
  int32_t c = r.asm_.open(peer, 0);
  CHECK(r.asm_.feed(c, "x 1 2\n", 99, 1) == 6);
  REQUIRE(r.asm_.out().size() == 1);
  const SlotMeta& m = r.pool.meta(r.asm_.out()[0]);
  CHECK(m.listener == 3);
  CHECK(m.source.port == 4711);
  CHECK(m.receive_ns == 99);
}

TEST_CASE("a line longer than max_line_bytes is skipped and counted, in one receive or across several") {
  Rig r(Framing::kLines, 64, 8);
  int32_t c = r.open();
  CHECK(r.feed(c, {"12345678\n123456789\nok\n"}) == Lines{"12345678", "ok"});
  CHECK(r.asm_.probe().too_long.get() == 1);
  CHECK(r.feed(c, {"12345", "67890", "12345\n", "next\n"}) == Lines{"next"});
  CHECK(r.asm_.probe().too_long.get() == 2);
  // Exactly the limit with CRLF split over two receives is not too long.
  CHECK(r.feed(c, {"12345678\r", "\n"}) == Lines{"12345678"});
  CHECK(r.asm_.probe().too_long.get() == 2);
}

TEST_CASE("a connection closed in the middle of a line counts the partial line") {
  Rig r;
  int32_t c = r.open();
  CHECK(r.feed(c, {"whole 1\nhal"}) == Lines{"whole 1"});
  r.asm_.close(c, StreamAssembler::Close::kPeer);
  CHECK(r.asm_.probe().partial.get() == 1);
  CHECK(r.asm_.open_connections() == 0);
}

TEST_CASE("syslog frames are octet-counted or newline-ended, per message (RFC 6587)") {
  Rig r(Framing::kSyslog);
  int32_t c = r.open();
  const std::string a = "<13>1 - h a - - - multi\nline";
  CHECK(r.feed(c, {std::to_string(a.size()) + " " + a + "<14>plain one\n" + "5 hello"}) ==
        Lines{a, "<14>plain one", "hello"});
  // Header and body split across receives.
  CHECK(r.feed(c, {"1", "2 <1", "5>split", "ted"}) == Lines{"<15>splitted"});
  // A zero length is an empty frame; a header that is no number is a framing
  // error skipped to the next newline.
  CHECK(r.feed(c, {"0 12x3 junk\n<9>after\n"}) == Lines{"<9>after"});
  CHECK(r.asm_.probe().bad_frame.get() == 1);
  // Octet-counted longer than the limit: skipped by its count, counted.
  CHECK(r.feed(c, {"70 " + std::string(70, 'z') + "3 end"}) == Lines{"end"});
  CHECK(r.asm_.probe().too_long.get() == 1);
  // Cut inside a counted body: partial.
  CHECK(r.feed(c, {"10 abc"}).empty());
  r.asm_.close(c, StreamAssembler::Close::kPeer);
  CHECK(r.asm_.probe().partial.get() == 1);
}

TEST_CASE("graphite and line protocol do not read a leading digit as an octet count") {
  Rig r(Framing::kLines);
  int32_t c = r.open();
  CHECK(r.feed(c, {"5 x\n"}) == Lines{"5 x"});
}

TEST_CASE("with the pool full, feed stops before the message it can't place and resumes exactly there") {
  Rig r(Framing::kLines, 2);
  int32_t c = r.open();
  const std::string bytes = "one\ntwo\nthree\nfour\nfi";
  size_t took = r.asm_.feed(c, bytes, 0, 0);
  CHECK(took == 8);  // "one\ntwo\n"
  CHECK(r.asm_.probe().stalls.get() == 1);
  CHECK(r.take() == Lines{"one", "two"});
  took += r.asm_.feed(c, std::string_view(bytes).substr(took), 0, 0);
  CHECK(took == bytes.size());  // the unfinished "fi" is kept with the connection
  CHECK(r.take() == Lines{"three", "four"});
  CHECK(r.feed(c, {"ve\n"}) == Lines{"five"});
  // Every line arrived once: nothing was dropped while the pool was full.
  CHECK(r.asm_.socket_probe().datagrams.get() == 5);
}

TEST_CASE("past max_connections a connection is refused and counted; ids are reused after a close") {
  Rig r;
  std::vector<int32_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(r.open());
  for (int32_t id : ids) CHECK(id >= 0);
  CHECK(r.open() == -1);
  CHECK(r.asm_.probe().refused.get() == 1);
  r.asm_.close(ids[1], StreamAssembler::Close::kPeer);
  CHECK(r.open() == ids[1]);
  CHECK(r.asm_.probe().accepted.get() == 5);
  CHECK(r.asm_.probe().open.get() == 4);
}

TEST_CASE("a connection with no byte for idle_timeout_ms is listed idle; one that sent is not") {
  Rig r;
  int32_t quiet = r.asm_.open(SourceAddress{}, 0);
  int32_t busy = r.asm_.open(SourceAddress{}, 0);
  r.asm_.feed(busy, "x", 0, 900'000'000);
  std::vector<int32_t> idle;
  r.asm_.idle(999'000'000, idle);
  CHECK(idle.empty());
  r.asm_.idle(1'000'000'000, idle);
  CHECK(idle == std::vector<int32_t>{quiet});
  r.asm_.close(quiet, StreamAssembler::Close::kIdle);
  CHECK(r.asm_.probe().idle_closed.get() == 1);
}

TEST_CASE("at shutdown, bytes no slot can take are framed and counted as shutdown drops") {
  Rig r(Framing::kLines, 1);
  int32_t c = r.open();
  const std::string bytes = "a\nb\nc\nd";
  size_t took = r.asm_.feed(c, bytes, 0, 0);
  CHECK(took == 2);
  r.asm_.discard(c, std::string_view(bytes).substr(took));
  CHECK(r.asm_.socket_probe().shutdown_drops.get() == 2);
  r.asm_.close(c, StreamAssembler::Close::kShutdown);
  CHECK(r.asm_.probe().partial.get() == 1);  // "d"
  // received = handed on + shutdown drops + partial
  CHECK(r.asm_.socket_probe().datagrams.get() == 1);
}

}  // namespace
}  // namespace ringest::rio
