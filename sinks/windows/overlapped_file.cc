// Overlapped backend of the file layer: WriteFile with FILE_FLAG_OVERLAPPED
// handles, several writes in flight, completions harvested from the log's own
// I/O completion port (separate from the receive engines', so a slow disk
// never shows up in a receive loop). Durability is FlushFileBuffers.
#include <windows.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "sinks/windows/win_file.h"

namespace ringest {
namespace win_io {
namespace {

class OverlappedFileIo final : public FileIo {
 public:
  // Without a completion port (none could be created) every write is done
  // in submit_write, blocking, and is ready to reap when it returns.
  explicit OverlappedFileIo(uint32_t max_ops) : ops_(std::max<uint32_t>(max_ops, 1)) {
    for (uint32_t i = static_cast<uint32_t>(ops_.size()); i > 0; --i) free_.push_back(i - 1);
    port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  }

  ~OverlappedFileIo() override {
    // Only reached with writes outstanding if the owner skipped its drain; the
    // system may still be reading their buffers, so they must finish first.
    IoCompletion sink[8];
    while (writing_ > 0) reap(sink, true);
    if (port_) CloseHandle(port_);
  }

  const char* backend() const override { return port_ ? "overlapped" : "WriteFile"; }

  Status submit_write(FileHandle f, uint64_t pos, const uint8_t* data, size_t len, uint64_t tag) override {
    uint32_t slot;
    if (!take_slot(slot)) return Status::invalid("write segment: too many writes in flight");
    ops_[slot] = Op{};
    ops_[slot].h = handle_of(f);
    ops_[slot].data = data;
    ops_[slot].len = len;
    ops_[slot].pos = pos;
    ops_[slot].tag = tag;
    if (!port_) {
      finish(slot, write_all_at(ops_[slot].h, pos, data, len));
      return Status();
    }
    // Associating twice fails harmlessly (ERROR_INVALID_PARAMETER); tracking
    // handles instead would go wrong when Windows reuses a closed one's value.
    CreateIoCompletionPort(ops_[slot].h, port_, 0, 0);
    start(slot);
    return Status();
  }

  // FlushFileBuffers is synchronous: the writes submitted before it complete
  // first (they are reaped into done_), then it runs, so it covers them.
  Status submit_datasync(FileHandle f, uint64_t tag) override {
    if (writing_ + done_.size() >= ops_.size()) {
      return Status::invalid("FlushFileBuffers segment: too many operations in flight");
    }
    while (writing_ > 0) wait_one(INFINITE);
    IoCompletion c;
    c.tag = tag;
    c.op = IoOp::kDatasync;
    if (!FlushFileBuffers(handle_of(f))) set_error(c, GetLastError(), "FlushFileBuffers segment");
    done_.push_back(std::move(c));
    return Status();
  }

  size_t reap(std::span<IoCompletion> out, bool wait) override {
    if (done_.empty() && writing_ > 0) wait_one(wait ? INFINITE : 0);
    while (writing_ > 0 && wait_one(0)) {
    }
    size_t n = std::min(out.size(), done_.size());
    for (size_t i = 0; i < n; ++i) out[i] = std::move(done_[i]);
    done_.erase(done_.begin(), done_.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
  }

  uint32_t outstanding() const override { return writing_ + static_cast<uint32_t>(done_.size()); }

 private:
  struct Op {
    OVERLAPPED ov;  // first: a completion's OVERLAPPED* is the Op*
    HANDLE h;
    const uint8_t* data;
    size_t len;
    size_t done;  // bytes written so far
    uint64_t pos;
    uint64_t tag;
  };

  bool take_slot(uint32_t& slot) {
    if (free_.empty()) return false;
    slot = free_.back();
    free_.pop_back();
    ++writing_;
    return true;
  }

  // Issues the op in `slot` (or the rest of a short write).
  void start(uint32_t slot) {
    Op& op = ops_[slot];
    uint64_t at = op.pos + op.done;
    op.ov = OVERLAPPED{};
    op.ov.Offset = static_cast<DWORD>(at);
    op.ov.OffsetHigh = static_cast<DWORD>(at >> 32);
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(op.len - op.done, 1u << 30));
    // Success or ERROR_IO_PENDING: the completion port gets a packet either way.
    if (WriteFile(op.h, op.data + op.done, chunk, nullptr, &op.ov) || GetLastError() == ERROR_IO_PENDING)
      return;
    finish(slot, GetLastError());
  }

  void finish(uint32_t slot, DWORD err) {
    Op& op = ops_[slot];
    IoCompletion c;
    c.tag = op.tag;
    c.op = IoOp::kWrite;
    if (err != 0) set_error(c, err, "write segment");
    done_.push_back(std::move(c));
    free_.push_back(slot);
    --writing_;
  }

  // Takes one completion from the port; false if none came within `ms`.
  bool wait_one(DWORD ms) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED* ov = nullptr;
    BOOL ok = GetQueuedCompletionStatus(port_, &bytes, &key, &ov, ms);
    if (ov == nullptr) return false;
    auto* op = reinterpret_cast<Op*>(ov);
    auto slot = static_cast<uint32_t>(op - ops_.data());
    if (!ok) {
      finish(slot, GetLastError());
    } else if (bytes == 0) {
      finish(slot, ERROR_WRITE_FAULT);  // no progress and no error: give up rather than spin
    } else if ((op->done += bytes) < op->len) {
      start(slot);  // short write: write the rest
    } else {
      finish(slot, 0);
    }
    return true;
  }

  HANDLE port_ = nullptr;
  std::vector<Op> ops_;
  std::vector<uint32_t> free_;
  uint32_t writing_ = 0;
  std::vector<IoCompletion> done_;  // finished, waiting to be reaped
};

}  // namespace
}  // namespace win_io

std::unique_ptr<FileIo> FileIo::create(uint32_t max_ops) {
  return std::make_unique<win_io::OverlappedFileIo>(max_ops);
}

}  // namespace ringest
