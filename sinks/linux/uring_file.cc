// io_uring backend of the file layer. The log owns its own ring, separate from
// the receive engines' rings, so a slow disk never shows up in a receive loop.
#include <liburing.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "sinks/linux/posix_file.h"

namespace ringest {
namespace linux_io {
namespace {

class UringFileIo final : public FileIo {
 public:
  // Returns null if this kernel or process can't use io_uring for file writes
  // (old kernel, io_uring_disabled sysctl, seccomp, memlock limits).
  static std::unique_ptr<UringFileIo> try_create(uint32_t max_ops) {
    auto io = std::unique_ptr<UringFileIo>(new UringFileIo(max_ops));
    // Every op needs an SQE at once in the worst case; a power of two keeps the
    // kernel from rounding anyway. The CQ ring is twice that, so it can't overflow.
    unsigned entries = 8;
    while (entries < max_ops) entries <<= 1;
    if (io_uring_queue_init(entries, &io->ring_, 0) < 0) return nullptr;
    io->ring_ok_ = true;
    io_uring_probe* probe = io_uring_get_probe_ring(&io->ring_);
    bool usable = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
                  io_uring_opcode_supported(probe, IORING_OP_FSYNC);
    if (probe != nullptr) io_uring_free_probe(probe);
    if (!usable) return nullptr;
    return io;
  }

  ~UringFileIo() override {
    if (!ring_ok_) return;
    // Only reached with ops outstanding if the owner skipped its drain; the
    // kernel may still be reading their buffers, so they must finish first.
    IoCompletion sink[8];
    while (outstanding_ > 0) reap(sink, true);
    io_uring_queue_exit(&ring_);
  }

  const char* backend() const override { return fixed_.empty() ? "io_uring" : "io_uring, registered buffers"; }

  bool register_buffers(std::span<const std::span<uint8_t>> buffers) override {
    if (!fixed_.empty()) io_uring_unregister_buffers(&ring_);
    fixed_.clear();
    std::vector<iovec> iov;
    for (std::span<uint8_t> b : buffers) iov.push_back(iovec{b.data(), b.size()});
    // Fails past RLIMIT_MEMLOCK (the pages are pinned): writes then map the
    // buffers each time, as without registration.
    if (iov.empty() || io_uring_register_buffers(&ring_, iov.data(), static_cast<unsigned>(iov.size())) != 0)
      return false;
    fixed_.assign(buffers.begin(), buffers.end());
    return true;
  }

  Status submit_write(FileHandle f, uint64_t pos, const uint8_t* data, size_t len, uint64_t tag) override {
    uint32_t slot;
    if (!take_slot(slot)) return Status::invalid("write segment: too many writes in flight");
    ops_[slot] = Op{IoOp::kWrite, static_cast<int>(f.native), data, len, 0, pos, tag};
    return start_or_release(slot);
  }

  Status submit_datasync(FileHandle f, uint64_t tag) override {
    uint32_t slot;
    if (!take_slot(slot)) return Status::invalid("fdatasync segment: too many operations in flight");
    ops_[slot] = Op{IoOp::kDatasync, static_cast<int>(f.native), nullptr, 0, 0, 0, tag};
    return start_or_release(slot);
  }

  size_t reap(std::span<IoCompletion> out, bool wait) override {
    size_t n = 0;
    while (n < out.size() && outstanding_ > 0) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);  // left over from start()
      int r = (wait && n == 0) ? io_uring_wait_cqe(&ring_, &cqe) : io_uring_peek_cqe(&ring_, &cqe);
      if (r == -EINTR) continue;
      if (r != 0 || cqe == nullptr) break;
      auto slot = static_cast<uint32_t>(cqe->user_data);
      int res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      if (finish(slot, res, out[n])) ++n;
    }
    return n;
  }

  uint32_t outstanding() const override { return outstanding_; }

 private:
  struct Op {
    IoOp op;
    int fd;
    const uint8_t* data;
    size_t len;
    size_t done;  // bytes written so far
    uint64_t pos;
    uint64_t tag;
  };

  explicit UringFileIo(uint32_t max_ops) : ops_(max_ops) {
    for (uint32_t i = max_ops; i > 0; --i) free_.push_back(i - 1);
  }

  bool take_slot(uint32_t& slot) {
    if (free_.empty()) return false;
    slot = free_.back();
    free_.pop_back();
    ++outstanding_;
    return true;
  }

  void release(uint32_t slot) {
    free_.push_back(slot);
    --outstanding_;
  }

  // Queues the op in `slot` (or the rest of a short write) and submits it.
  Status start(uint32_t slot) {
    Op& op = ops_[slot];
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    if (sqe == nullptr) return Status::invalid("io_uring: submission queue full");
    if (op.op == IoOp::kWrite) {
      const uint8_t* from = op.data + op.done;
      auto len = static_cast<unsigned>(op.len - op.done);
      if (int index = fixed_index(from, len); index >= 0) {
        io_uring_prep_write_fixed(sqe, op.fd, from, len, op.pos + op.done, index);
      } else {
        io_uring_prep_write(sqe, op.fd, from, len, op.pos + op.done);
      }
    } else {
      // No IOSQE_IO_DRAIN: a sync claims only the writes that had completed
      // when it was asked for (the log's sync_covers_), so the writes queued
      // behind it need not wait for it.
      io_uring_prep_fsync(sqe, op.fd, IORING_FSYNC_DATASYNC);
    }
    io_uring_sqe_set_data64(sqe, slot);
    // The SQE is queued now. If the kernel can't take it at this moment
    // (EAGAIN, EBUSY, a signal) it stays in the ring and reap() submits it again,
    // so the op is in flight either way.
    io_uring_submit(&ring_);
    return Status();
  }

  // The registered buffer that holds [p, p + n), or -1.
  int fixed_index(const uint8_t* p, size_t n) const {
    for (size_t i = 0; i < fixed_.size(); ++i) {
      const uint8_t* b = fixed_[i].data();
      if (p >= b && p + n <= b + fixed_[i].size()) return static_cast<int>(i);
    }
    return -1;
  }

  Status start_or_release(uint32_t slot) {
    Status st = start(slot);
    if (!st.ok()) release(slot);
    return st;
  }

  // Handles one CQE. Returns true when the op is over and `out` describes it;
  // false when a short write was resubmitted.
  bool finish(uint32_t slot, int res, IoCompletion& out) {
    Op& op = ops_[slot];
    out = IoCompletion{};
    out.tag = op.tag;
    out.op = op.op;
    if (res < 0) {
      set_error(out, -res, op.op == IoOp::kWrite ? "write segment" : "fdatasync segment");
    } else if (op.op == IoOp::kWrite) {
      if (res == 0) {
        set_error(out, EIO, "write segment (no progress)");
      } else {
        op.done += static_cast<size_t>(res);
        if (op.done < op.len) {
          // Short write (a signal, a quota edge): write the rest. If that can't
          // even be submitted the op is over with that error.
          Status st = start(slot);
          if (st.ok()) return false;
          out.status = std::move(st);
        }
      }
    }
    release(slot);
    return true;
  }

  io_uring ring_{};
  bool ring_ok_ = false;
  std::vector<Op> ops_;
  std::vector<uint32_t> free_;
  uint32_t outstanding_ = 0;
  std::vector<std::span<uint8_t>> fixed_;  // registered, by index
};

}  // namespace
}  // namespace linux_io

std::unique_ptr<FileIo> FileIo::create(uint32_t max_ops) {
  if (auto io = linux_io::UringFileIo::try_create(max_ops)) return io;
  return linux_io::make_blocking_file_io();
}

}  // namespace ringest
