// Engine: the receive side of ringest. An engine owns one BufferPool and one
// or more UDP sockets, keeps receives posted at all times, and hands out the
// datagrams it harvests as slot indices into its pool — it never copies a
// payload. Backends live in rio/linux/ and rio/windows/; the factory
// (engine_factory.h) is the one place that knows which exist.
//
// Threading: add_socket() is called during set-up from any one thread;
// everything else — start(), poll(), release(), drain() — runs on the engine's
// own thread, which is the only thread that ever gives a slot back to the
// kernel. Probes may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/counter.h"
#include "common/status.h"
#include "rio/buffer_pool.h"

namespace ringest::rio {

enum class EngineKind : uint8_t { kAuto, kUring, kRecvmmsg, kRio, kIocp };
// Indexed by EngineKind. Linux builds uring and recvmmsg, Windows rio and iocp.
inline constexpr std::string_view kEngineNames[] = {"auto", "uring", "recvmmsg", "rio", "iocp"};
std::string_view to_string(EngineKind k);
// "auto", "uring", ... ; false for an unknown name.
bool parse_engine_kind(std::string_view name, EngineKind& out);

struct EngineOptions {
  uint32_t slot_bytes = 4096;
  uint32_t slots = 8192;
  uint32_t batch = 64;  // completions harvested per wakeup, at most
};

// A TCP listener's framing and bounds (rio/stream_assembler.h).
enum class Framing : uint8_t {
  kLines,   // messages end at '\n'
  kSyslog,  // RFC 6587: octet counting ("<len> <msg>") or '\n', per message
};
struct StreamOptions {
  Framing framing = Framing::kLines;
  uint32_t max_connections = 1024;   // past this, a new connection is closed at once (refused)
  uint32_t idle_timeout_ms = 300000; // a connection that sends nothing this long is closed (0: never)
  uint32_t max_line_bytes = 4096;    // a longer message is skipped and counted; at most a slot
};

struct SocketProbe;

struct SocketSpec {
  std::string address;         // "127.0.0.1:8125", "[::1]:0", "unix:///run/ringest/dsd.socket" (Linux)
  uint16_t listener = 0;       // stored with every datagram from this socket
  uint32_t rcvbuf_bytes = 4u << 20;
  bool reuse_port = true;      // several sockets (and engines) per port
  // Hand-over: a running engine's socket (its socket_handle()) to share
  // instead of binding a new one. The address is then not used; the receive
  // buffer and reuse_port are applied to the shared socket.
  int64_t take_over = -1;
  // ... and that engine's probe of it: the new engine counts kernel drops on
  // from the old one's last reading (kernel_drops_seen) once the old has handed over.
  const SocketProbe* taken_from = nullptr;
  // A unix:// address: the socket file's permission bits and group ("" keeps
  // the daemon's own), set once it is bound.
  uint32_t unix_mode = 0660;
  std::string unix_group;
};

// What binding a socket gave us.
struct BoundSocket {
  uint16_t port = 0;               // the port actually bound (ephemeral if 0 was asked)
  uint32_t rcvbuf_granted = 0;     // receive buffer bytes granted, comparable with what was asked (Linux: half what SO_RCVBUF reads back, which counts bookkeeping)
  bool rcvbuf_capped = false;      // the OS gave less than asked
};

// Per-socket counters; one writer (the engine thread).
struct SocketProbe {
  uint16_t listener = 0;
  Counter datagrams;         // handed to the pipeline
  Counter bytes;
  Counter truncated;         // longer than a slot: dropped and counted (MSG_TRUNC)
  Counter kernel_drops_rcvbuf;   // lost in the kernel while slots were free
  Counter kernel_drops_no_slot;  // lost in the kernel while the pool was exhausted
  Counter shutdown_drops;    // still queued in the socket when drain gave up
  Counter errors;            // receive errors other than the above
  Counter kernel_drops_seen; // the kernel's own drop count when last read (Linux sk_drops)
};

// A TCP listener's counters; one writer (the engine thread). Messages handed
// on are SocketProbe::datagrams; every message received is handed on or
// counted here as too long, partial or badly framed.
struct StreamProbe {
  Counter accepted;         // connections accepted and kept
  Counter refused;          // connections closed at once: max_connections were open
  Counter idle_closed;      // connections closed after idle_timeout_ms without a byte
  Counter errors;           // connections ended by an error (reset, accept failure)
  Counter open;             // gauge: connections open now
  Counter too_long;         // messages longer than max_line_bytes: skipped
  Counter partial;          // messages a closing connection left unfinished
  Counter bad_frame;        // octet counts that were not numbers: skipped to the next '\n'
  Counter stalls;           // times receiving paused because the pool was full (flow control)
};

struct EngineProbe {
  Counter wakeups;           // harvests that returned at least one completion
  Counter pool_exhausted;    // times the engine ran out of free slots
  Counter rearms;            // receives re-posted (multishot ended)
  Counter slots_in_use;      // gauge: slots handed out and not yet released
};

// Receives what one poll() harvested. Runs on the engine thread. It takes the
// slots: each must come back through Engine::release() exactly once.
class DatagramHandler {
 public:
  virtual ~DatagramHandler() = default;
  virtual void on_datagrams(std::span<const uint32_t> slots) = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual EngineKind kind() const = 0;
  // Whether datagrams the kernel dropped before ringest could take them are
  // seen and counted (SocketProbe::kernel_drops_*). Linux reports them per
  // socket; Windows has no per-socket count, so its engines cannot.
  virtual bool counts_kernel_drops() const = 0;

  // Set-up: opens and binds a socket (SO_REUSEPORT, SO_RCVBUF, drop counting),
  // or shares the one spec.take_over names.
  virtual Status add_socket(const SocketSpec& spec, BoundSocket& bound) = 0;
  // Socket i as another engine's SocketSpec::take_over can name it, or -1
  // where sockets can't change hands (on Windows a socket belongs to one
  // completion port for life). Any thread, while the engine runs.
  virtual int64_t socket_handle(uint16_t i) const = 0;
  // Engine thread, once, before poll(): registers the pool and posts receives.
  virtual Status start() = 0;
  // Engine thread: waits at most timeout_ms for datagrams and hands what it
  // harvests (at most one batch per socket) to `handler`. Returns the number
  // of datagrams handed out.
  virtual uint32_t poll(DatagramHandler& handler, int timeout_ms) = 0;
  // Engine thread: gives slots back and re-posts receives into them.
  virtual void release(std::span<const uint32_t> slots) = 0;
  // Engine thread, at shutdown: true once every socket's queue is empty.
  virtual bool sockets_empty() = 0;
  // Engine thread, at shutdown after the drain deadline: reads and counts as
  // shutdown drops whatever is still queued, then closes the sockets.
  virtual void discard_and_close() = 0;
  // Engine thread, instead of the drain and discard_and_close(), when another
  // engine has taken the sockets over: stops receiving, hands `handler` the
  // datagrams already taken in, and closes this engine's descriptors without
  // reading — what the sockets still hold is the new engine's to read.
  virtual void hand_over(DatagramHandler& handler) = 0;

  virtual BufferPool& pool() = 0;
  const BufferPool& pool() const { return const_cast<Engine*>(this)->pool(); }
  virtual const EngineProbe& probe() const = 0;
  virtual std::span<const SocketProbe> sockets() const = 0;
  // A TCP listener's engine: its connection and framing counters; else null.
  virtual const StreamProbe* stream() const { return nullptr; }
};

}  // namespace ringest::rio
