// StreamAssembler: the portable half of a TCP listener. The platform's stream
// engine (rio/linux/uring_stream_engine, rio/windows/iocp_stream_engine) does
// the I/O — accepting, receiving bytes into its own buffers, closing — and
// hands every connection's bytes here, in order. The assembler frames them
// into messages, copies each message into a pool slot of its own (so a line
// travels the pipeline exactly as a one-line datagram does, and is accounted
// the same way), and keeps the connection bounds: how many may be open, how
// long one may be idle, how long a line may be.
//
// Framing (RFC 6587 for syslog):
//   kLines:  messages end at '\n'; one '\r' before it is dropped; empty lines
//            are skipped and not counted.
//   kSyslog: each message is either octet-counted ("<len> <msg>", the first
//            byte a digit) or, when it starts with anything else, ends at '\n'.
//
// Flow control: when the pool has no free slot, feed() stops before the
// message it can't place and says how far it got; the engine holds the rest
// and stops receiving on that connection until release() frees slots, so TCP
// pushes back on the sender instead of anything being dropped.
//
// One thread (the engine's) calls everything.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/source_address.h"
#include "rio/buffer_pool.h"
#include "rio/engine.h"

namespace ringest::rio {

class StreamAssembler {
 public:
  StreamAssembler(BufferPool& pool, const StreamOptions& opts);

  // A connection was accepted: its id (>= 0), or -1 when max_connections are
  // open (the engine then closes it: counted as refused).
  int32_t open(const SourceAddress& peer, int64_t mono_now);
  // Bytes received on connection `c`, in order. Returns how many were taken;
  // fewer than given only when the pool ran out of slots (call again with the
  // rest after release()). Complete messages are appended to out() as slots.
  size_t feed(int32_t c, std::string_view bytes, int64_t wall_now, int64_t mono_now);
  // At shutdown, bytes received that no slot can take any more: framed as
  // feed() does, each message counted as a shutdown drop instead of stored.
  void discard(int32_t c, std::string_view bytes);
  enum class Close : uint8_t { kPeer, kIdle, kError, kShutdown };
  // Connection `c` is gone: a message it left unfinished is counted as a
  // partial line. The id may be reused by the next open().
  void close(int32_t c, Close why);
  // The open connections idle (no byte received) for idle_timeout_ms by now.
  void idle(int64_t mono_now, std::vector<int32_t>& out) const;

  // Slots with messages, in order, since the last take: the engine hands
  // them to its DatagramHandler.
  std::vector<uint32_t>& out() { return out_; }
  // A slot handed out comes back.
  void release(uint32_t slot) { free_.push_back(slot); }
  bool has_free_slot() const { return !free_.empty(); }
  uint32_t open_connections() const { return open_; }

  SocketProbe& socket_probe() { return socket_; }
  const SocketProbe& socket_probe() const { return socket_; }
  const StreamProbe& probe() const { return probe_; }
  StreamProbe& probe() { return probe_; }

 private:
  struct Conn {
    bool open = false;
    SourceAddress peer;
    int64_t last_mono = 0;
    std::string carry;        // the message so far, when it spans receives
    uint64_t octets = 0;      // octet counting: body bytes still to come
    uint32_t header = 0;      // octet counting: the length read so far
    uint8_t header_digits = 0;
    enum State : uint8_t { kStart, kLine, kSkipLine, kHeader, kBody, kSkipBody } state = kStart;
  };
  // Copies head+tail into a free slot and appends it to out_; false when
  // there is no free slot.
  bool emit(const Conn& c, std::string_view head, std::string_view tail, int64_t wall_now);
  // The line-framed message of `c` ends before bytes[end] ('\n').
  bool end_line(Conn& c, std::string_view piece, int64_t wall_now);

  BufferPool& pool_;
  StreamOptions opts_;
  std::vector<Conn> conns_;
  std::vector<int32_t> unused_;  // closed connection ids, for reuse
  uint32_t open_ = 0;
  bool discarding_ = false;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> out_;
  SocketProbe socket_;
  StreamProbe probe_;
};

}  // namespace ringest::rio
