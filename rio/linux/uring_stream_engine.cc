#include "rio/linux/uring_stream_engine.h"

#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/clock.h"
#include "rio/probe_delivery.h"
#include "common/socket_address.h"
#include "rio/linux/uring_ring.h"
#include "rio/stream_socket.h"

namespace ringest::rio {
namespace {

constexpr uint16_t kBufferGroup = 0;
constexpr uint32_t kChunkBytes = 16384;
constexpr uint32_t kChunks = 256;  // 4 MiB of receive chunks per listener socket
// user_data: bit 63 set for the accept (and the ignored tag), else a recv:
// the connection's generation (31 bits) above its id.
constexpr uint64_t kAcceptTag = uint64_t{1} << 63;
constexpr uint64_t kIgnoreTag = ~uint64_t{0};
constexpr uint32_t kGenMask = 0x7fffffff;
constexpr int64_t kIdleCheckNs = 250'000'000;
constexpr int64_t kAcceptRetryNs = 100'000'000;  // after an accept error (EMFILE): not in a spin

uint64_t recv_tag(int32_t id, uint32_t gen) { return (uint64_t{gen & kGenMask} << 32) | static_cast<uint32_t>(id); }

}  // namespace

UringStreamEngine::UringStreamEngine(const EngineOptions& opts, const StreamOptions& stream)
    : opts_(opts),
      pool_(opts.slot_bytes, std::max<uint32_t>(opts.slots, 1)),
      chunks_(kChunkBytes, kChunks),
      asm_(pool_, stream) {}

UringStreamEngine::~UringStreamEngine() {
  for (Link& l : links_)
    if (l.fd >= 0) close(l.fd);
  if (listen_fd_ >= 0) close(listen_fd_);
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

Status UringStreamEngine::add_socket(const SocketSpec& spec, BoundSocket& bound) {
  if (listen_fd_ >= 0) return Status::invalid("a TCP engine has one listening socket");
  if (spec.take_over >= 0) return Status::invalid("a TCP listener can't take over another listener's socket");
  if (std::string path; unix_socket_path(spec.address, path))
    return Status::invalid("a TCP listener takes host:port, not " + spec.address);
  SocketHandle h = kNoSocket;
  uint16_t port = 0;
  if (Status st = stream_listen(spec.address, SOMAXCONN, h, port, spec.reuse_port); !st) return st;
  listen_fd_ = static_cast<int>(h);
  asm_.socket_probe().listener = spec.listener;
  bound.port = port;
  return {};
}

Status UringStreamEngine::start() {
  if (!pool_.ok() || !chunks_.ok()) return Status::from_errno(ENOMEM, "buffer pool");
  if (listen_fd_ < 0) return Status::invalid("stream engine: no socket");
  if (Status st = linux_uring::init_ring(ring_, 4096); !st) return st;
  ring_ready_ = true;
  if (Status st = br_.setup(ring_, kChunks, kBufferGroup); !st) return st;
  for (uint32_t b = 0; b < kChunks; ++b) give_chunk(static_cast<uint16_t>(b));
  br_.publish();
  arm_accept();
  if (int r = io_uring_submit(&ring_); r < 0) return Status::from_errno(-r, "io_uring_submit");
  return {};
}

io_uring_sqe* UringStreamEngine::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (!s) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void UringStreamEngine::arm_accept() {
  io_uring_sqe* s = sqe();
  if (!s) return;  // tried again at the next poll
  io_uring_prep_multishot_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, kAcceptTag);
  accept_armed_ = true;
}

void UringStreamEngine::arm_recv(int32_t id) {
  Link& l = links_[id];
  io_uring_sqe* s = sqe();
  if (!s) {
    unarmed_.push_back(id);
    return;
  }
  io_uring_prep_recv_multishot(s, l.fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(s, recv_tag(id, l.gen));
  l.armed = true;
  probe_.rearms.add();
}

void UringStreamEngine::give_chunk(uint16_t bid) { br_.add(chunks_.slot(bid), kChunkBytes, bid); }

std::string_view UringStreamEngine::chunk_bytes(const Chunk& c) {
  return {reinterpret_cast<const char*>(chunks_.slot(c.bid)) + c.offset, c.length};
}

uint32_t UringStreamEngine::poll(DatagramHandler& handler, int timeout_ms) {
  int64_t wall = wall_ns(), mono = mono_ns();
  resume_stalled(wall, mono);
  std::vector<uint32_t>& out = asm_.out();
  // As the datagram engine: busy, wait for a batch but at most 2 ms; idle,
  // wake on the first completion. Messages already framed don't wait.
  unsigned wait_nr = busy_ ? opts_.batch : 1;
  int64_t wait_ns = !out.empty() ? 0 : busy_ ? 2'000'000 : int64_t{timeout_ms} * 1'000'000;
  __kernel_timespec ts{wait_ns / 1'000'000'000, wait_ns % 1'000'000'000};
  io_uring_cqe* first = nullptr;
  io_uring_submit_and_wait_timeout(&ring_, &first, wait_nr, &ts, nullptr);
  wall = wall_ns();
  mono = mono_ns();
  harvest(wall, mono);
  br_.publish();
  if (!accept_armed_ && listen_fd_ >= 0 && mono >= accept_retry_at_) arm_accept();
  if (br_.in_ring() > 0 && !unarmed_.empty()) {
    scratch_.swap(unarmed_);
    unarmed_.clear();
    for (int32_t id : scratch_)
      if (links_[id].fd >= 0 && !links_[id].armed && !links_[id].ended) arm_recv(id);
    scratch_.clear();
  }
  if (mono >= next_idle_check_) {
    close_idle(mono);
    next_idle_check_ = mono + kIdleCheckNs;
  }
  io_uring_submit(&ring_);
  busy_ = !out.empty();
  if (!busy_) return 0;
  const auto n = static_cast<uint32_t>(out.size());
  probe_.wakeups.add();
  probe_.slots_in_use.add(n);
  handler.on_datagrams(out);
  out.clear();
  return n;
}

void UringStreamEngine::harvest(int64_t wall, int64_t mono) {
  io_uring_cqe* cqes[256];
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 256);
    if (n == 0) return;
    for (unsigned i = 0; i < n; ++i) {
      const io_uring_cqe* c = cqes[i];
      if (c->user_data == kIgnoreTag) continue;
      if (c->user_data == kAcceptTag) {
        on_accept(c, mono);
        continue;
      }
      auto id = static_cast<int32_t>(c->user_data & 0xffffffffu);
      auto gen = static_cast<uint32_t>(c->user_data >> 32);
      if (id >= 0 && static_cast<size_t>(id) < links_.size() && (links_[id].gen & kGenMask) == gen &&
          links_[id].fd >= 0) {
        on_recv(id, c, wall, mono);
      } else if (c->flags & IORING_CQE_F_BUFFER) {  // a connection already gone
        br_.taken();
        give_chunk(static_cast<uint16_t>(c->flags >> IORING_CQE_BUFFER_SHIFT));
      }
    }
    io_uring_cq_advance(&ring_, n);
  }
}

void UringStreamEngine::on_accept(const io_uring_cqe* cqe, int64_t mono) {
  if (!(cqe->flags & IORING_CQE_F_MORE)) accept_armed_ = false;
  if (cqe->res < 0) {
    if (cqe->res != -ECANCELED) {
      asm_.probe().errors.add();
      // Out of descriptors (EMFILE, ENFILE) or memory: the pending
      // connections wait in the backlog and accepting resumes a bit later.
      if (!accept_armed_) accept_retry_at_ = mono + kAcceptRetryNs;
    }
    return;
  }
  const int fd = cqe->res;
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  SourceAddress source;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0) to_source(reinterpret_cast<sockaddr*>(&peer), source);
  const int32_t id = asm_.open(source, mono);
  if (id < 0) {  // max_connections open: refused, counted
    close(fd);
    return;
  }
  if (static_cast<size_t>(id) >= links_.size()) links_.resize(id + 1);
  Link& l = links_[id];
  l.fd = fd;
  l.armed = l.ended = l.stalled = false;
  l.why = StreamAssembler::Close::kPeer;
  l.pending.clear();
  arm_recv(id);
}

void UringStreamEngine::on_recv(int32_t id, const io_uring_cqe* cqe, int64_t wall, int64_t mono) {
  Link& l = links_[id];
  if (!(cqe->flags & IORING_CQE_F_MORE)) l.armed = false;
  const bool has_chunk = cqe->flags & IORING_CQE_F_BUFFER;
  const auto bid = static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
  if (has_chunk) br_.taken();
  if (cqe->res > 0 && has_chunk) {
    l.pending.push_back({bid, 0, static_cast<uint32_t>(cqe->res)});
    // A stalled connection waits its turn; at shutdown discard_and_close()
    // counts what is pending, in order.
    if (!l.stalled && !discarding_) drain_pending(id, wall, mono);
  } else {
    if (has_chunk) give_chunk(bid);  // a buffer with no bytes in it
    if (cqe->res == 0) {
      l.ended = true;  // the peer closed, or we shut it down (idle)
    } else if (cqe->res == -ENOBUFS) {
      probe_.pool_exhausted.add();  // no free chunk: re-armed when chunks come back
    } else if (cqe->res != -ECANCELED) {
      if (!l.ended) l.why = StreamAssembler::Close::kError;  // after our idle shutdown it stays idle
      l.ended = true;
    }
  }
  if (l.fd < 0 || discarding_) return;  // drain_pending finished it; or shutting down
  if (!l.armed && !l.ended) unarmed_.push_back(id);
  if (l.ended && !l.armed && l.pending.empty()) finish(id);
}

bool UringStreamEngine::drain_pending(int32_t id, int64_t wall, int64_t mono) {
  Link& l = links_[id];
  while (!l.pending.empty()) {
    Chunk& c = l.pending.front();
    const size_t took = asm_.feed(id, chunk_bytes(c), wall, mono);
    if (took < c.length) {
      c.offset += static_cast<uint32_t>(took);
      c.length -= static_cast<uint32_t>(took);
      if (!l.stalled) {
        l.stalled = true;
        stalled_.push_back(id);
      }
      return false;
    }
    give_chunk(c.bid);
    l.pending.pop_front();
  }
  if (l.ended && !l.armed) finish(id);
  return true;
}

void UringStreamEngine::resume_stalled(int64_t wall, int64_t mono) {
  while (!stalled_.empty() && asm_.has_free_slot()) {
    const int32_t id = stalled_.front();
    stalled_.pop_front();
    Link& l = links_[id];
    if (!l.stalled || l.fd < 0) continue;
    l.stalled = false;
    if (!drain_pending(id, wall, mono)) {  // still the oldest: first again when slots come back
      stalled_.pop_back();
      stalled_.push_front(id);
      break;
    }
  }
}

void UringStreamEngine::finish(int32_t id) {
  Link& l = links_[id];
  asm_.close(id, l.why);
  for (const Chunk& c : l.pending) give_chunk(c.bid);
  l.pending.clear();
  close(l.fd);
  l.fd = -1;
  l.stalled = false;
  l.gen = (l.gen + 1) & kGenMask;
}

void UringStreamEngine::close_idle(int64_t mono) {
  scratch_.clear();
  asm_.idle(mono, scratch_);
  for (int32_t id : scratch_) {
    Link& l = links_[id];
    // A stalled connection, or one whose recv waits for chunks to come back
    // (flow control), is ours to read, not idle.
    if (l.ended || !l.pending.empty() || !l.armed) continue;
    l.why = StreamAssembler::Close::kIdle;
    l.ended = true;
    if (l.armed) {
      shutdown(l.fd, SHUT_RDWR);  // its recv completes with 0, and the connection is finished then
    } else {
      finish(id);
    }
  }
  scratch_.clear();
}

void UringStreamEngine::release(std::span<const uint32_t> slots) {
  for (uint32_t s : slots) asm_.release(s);
  probe_.slots_in_use.set(probe_.slots_in_use.get() - slots.size());
}

bool UringStreamEngine::sockets_empty() {
  if (!stalled_.empty() || (ring_ready_ && io_uring_cq_ready(&ring_) != 0)) return false;
  for (const Link& l : links_) {
    if (l.fd < 0) continue;
    int queued = 0;
    if (!l.pending.empty() || (ioctl(l.fd, FIONREAD, &queued) == 0 && queued > 0)) return false;
  }
  return true;
}

void UringStreamEngine::discard_and_close() {
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
  }
  // What was received and not yet handed out is counted as shutdown drops:
  // the completions already in the ring, the chunks waiting for slots, and
  // what the sockets still hold.
  discarding_ = true;
  if (ring_ready_) {
    __kernel_timespec now{0, 0};
    io_uring_cqe* first = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &first, 1, &now, nullptr);  // runs deferred completions
    harvest(wall_ns(), mono_ns());
  }
  char rest[4096];
  for (size_t i = 0; i < links_.size(); ++i) {
    Link& l = links_[i];
    if (l.fd < 0) continue;
    const auto id = static_cast<int32_t>(i);
    for (const Chunk& c : l.pending) asm_.discard(id, chunk_bytes(c));
    for (ssize_t n; (n = recv(l.fd, rest, sizeof rest, MSG_DONTWAIT)) > 0;) asm_.discard(id, {rest, size_t(n)});
    l.why = StreamAssembler::Close::kShutdown;
    finish(id);
  }
  stalled_.clear();
  if (ring_ready_) {
    io_uring_queue_exit(&ring_);
    ring_ready_ = false;
  }
}

void UringStreamEngine::hand_over(DatagramHandler&) {
  // Never asked for (socket_handle() is -1): the connections are closed as
  // at shutdown.
  discard_and_close();
}

std::string UringStreamEngine::probe_support() {
  EngineOptions o;
  o.slot_bytes = 2048;
  o.slots = 8;
  o.batch = 1;
  UringStreamEngine e(o, StreamOptions{});
  BoundSocket bound;
  if (Status st = e.add_socket({"127.0.0.1:0", 0, 0, false}, bound); !st) return st.message();
  if (Status st = e.start(); !st) return st.message();

  int tx = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(bound.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static const char kPing[] = "ringest-probe\n";
  if (connect(tx, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 || send(tx, kPing, sizeof kPing - 1, 0) < 0) {
    close(tx);
    return "loopback TCP connection failed";
  }
  const std::string got = first_delivered(e, 10, 50);
  close(tx);
  e.discard_and_close();
  if (got != "ringest-probe") return "multishot accept and recv delivered no message";
  return "";
}

}  // namespace ringest::rio
