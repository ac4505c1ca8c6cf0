// libFuzzer target for StreamAssembler, the TCP framer: however a connection's
// bytes are cut into receives, and however often the pool runs out of slots
// in between, the messages and counts are those of the bytes framed in one
// piece with slots to spare. The first three bytes choose the framing, the
// line limit and the pool size; the rest is the stream, cut where a small
// generator seeded from it says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rio/stream_assembler.h"

namespace {

using ringest::rio::BufferPool;
using ringest::rio::Framing;
using ringest::rio::StreamAssembler;
using ringest::rio::StreamOptions;

struct Outcome {
  std::vector<std::string> messages;
  uint64_t too_long = 0, partial = 0, bad_frame = 0;
  bool operator==(const Outcome&) const = default;
};

void take(BufferPool& pool, StreamAssembler& a, Outcome& o) {
  for (uint32_t s : a.out()) {
    o.messages.emplace_back(pool.payload(s));
    a.release(s);
  }
  a.out().clear();
}

Outcome run(std::string_view stream, const StreamOptions& opts, uint32_t slots, uint64_t seed, bool cut) {
  BufferPool pool(512, slots);
  StreamAssembler a(pool, opts);
  Outcome o;
  int32_t c = a.open({}, 0);
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t n = stream.size() - pos;
    if (cut) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      n = std::min<size_t>(n, 1 + (seed >> 33) % 40);
    }
    std::string_view piece = stream.substr(pos, n);
    for (;;) {
      size_t took = a.feed(c, piece, 0, 0);
      if (took > piece.size()) std::abort();
      piece.remove_prefix(took);
      take(pool, a, o);  // the pipeline gives the slots back
      if (piece.empty()) break;
      if (took == 0) std::abort();  // no progress although every slot is free
    }
    pos += n;
  }
  a.close(c, StreamAssembler::Close::kPeer);
  o.too_long = a.probe().too_long.get();
  o.partial = a.probe().partial.get();
  o.bad_frame = a.probe().bad_frame.get();
  for (const std::string& m : o.messages)
    if (m.empty() || m.size() > opts.max_line_bytes) std::abort();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  StreamOptions opts;
  opts.framing = data[0] & 1 ? Framing::kSyslog : Framing::kLines;
  opts.max_line_bytes = 1 + data[1] % 128;
  const uint32_t slots = 1 + data[2] % 4;
  std::string_view stream(reinterpret_cast<const char*>(data) + 3, size - 3);
  uint64_t seed = 0;
  for (uint8_t b : stream) seed = seed * 31 + b;
  const Outcome whole = run(stream, opts, 4096, 0, false);
  const Outcome cut = run(stream, opts, slots, seed, true);
  if (!(whole == cut)) std::abort();
  return 0;
}
