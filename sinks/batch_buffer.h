// One batch's bytes and bookkeeping, from the first append until its write is
// accounted for. Internal to the partition log; owned by one shard thread.
//
// Layout of `data`: kBatchHeaderSize bytes left for the header (filled when the
// batch is sealed), then the encoded records. The buffer is sized at open for a
// full batch plus one more datagram, so it only grows for an unusual datagram,
// never per record.
//
// For direct I/O the batch sits `lead` bytes into an allocation aligned to
// kDirectAlign: the lead is where the start of the file block the batch begins
// in goes (the bytes before it are already in the file and are written again),
// and kDirectAlign spare bytes at the end take the zero padding up to the
// block's end. So a batch goes to the disk as one aligned write, without a copy.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <utility>
#include <vector>

#include "sinks/file_layer.h"
#include "sinks/segment_format.h"
#include "sinks/segment_headers.h"

namespace ringest {

// Bytes aligned for direct I/O.
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(size_t n)
      : p_(static_cast<uint8_t*>(::operator new[](n, std::align_val_t{kDirectAlign}))), n_(n) {}
  uint8_t* data() const { return p_.get(); }
  size_t size() const { return n_; }
  std::span<uint8_t> span() const { return {p_.get(), n_}; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { ::operator delete[](p, std::align_val_t{kDirectAlign}); }
  };
  std::unique_ptr<uint8_t[], Free> p_;
  size_t n_ = 0;
};

struct BatchBuffer {
  enum class State : uint8_t {
    kFree,      // in the pool
    kOpen,      // taking appends
    kSealed,    // header written, waiting to be submitted
    kInFlight,  // write submitted
    kWritten,   // write completed, waiting for the batches before it
    kFailed,    // write failed, waiting for the rest to settle
  };

  AlignedBytes mem;
  uint8_t* data = nullptr;  // the batch: mem.data() + lead
  size_t lead = 0;          // < kDirectAlign
  size_t capacity = 0;      // bytes the batch may take from `data` on
  size_t len = segfmt::kBatchHeaderSize;  // header + payload so far
  State state = State::kFree;

  BatchHeader header;  // base_offset set at the first append; the rest when sealed
  uint32_t records = 0;
  uint32_t datagrams = 0;  // complete datagrams in the batch
  // The complete datagrams again, by ledger key (end_datagram's): what the
  // batch's write settles for each, told to the log's SettleObserver.
  std::vector<std::pair<uint16_t, uint32_t>> by_ledger;
  int64_t min_time = std::numeric_limits<int64_t>::max();
  int64_t max_time = std::numeric_limits<int64_t>::min();

  // The datagram being appended: where it starts, and its time range. Its
  // records join the batch's counts only at end_datagram().
  size_t dgram_start = segfmt::kBatchHeaderSize;
  uint32_t dgram_first_record = 0;
  int64_t dgram_min = std::numeric_limits<int64_t>::max();
  int64_t dgram_max = std::numeric_limits<int64_t>::min();

  uint64_t file_pos = 0;  // where it was (last) submitted
  bool no_space = false;  // its write failed with "disk full"

  void allocate(size_t cap) {
    mem = AlignedBytes(kDirectAlign + cap + kDirectAlign);
    data = mem.data();
    lead = 0;
    capacity = cap;
  }

  // Moves the batch so it starts `n` bytes into the allocation.
  void set_lead(size_t n) {
    if (n == lead) return;
    std::memmove(mem.data() + n, data, len);
    data = mem.data() + n;
    lead = n;
  }

  void reset() {
    len = dgram_start = segfmt::kBatchHeaderSize;
    header = BatchHeader{};
    records = datagrams = dgram_first_record = 0;
    by_ledger.clear();
    min_time = dgram_min = std::numeric_limits<int64_t>::max();
    max_time = dgram_max = std::numeric_limits<int64_t>::min();
    file_pos = 0;
    no_space = false;
  }

  size_t payload() const { return len - segfmt::kBatchHeaderSize; }
  uint8_t* payload_data() { return data + segfmt::kBatchHeaderSize; }
  bool in_datagram() const { return records > dgram_first_record; }

  // Whether `n` more bytes need reserve_more.
  bool needs_more(size_t n) const { return len + n > capacity; }
  // Makes room for `n` more bytes; growth copies, so it is kept rare by sizing.
  // True if the memory moved.
  bool reserve_more(size_t n) {
    if (!needs_more(n)) return false;
    size_t cap = std::max(capacity * 2, len + n);
    AlignedBytes bigger(kDirectAlign + cap + kDirectAlign);
    std::memcpy(bigger.data() + lead, data, len);
    mem = std::move(bigger);
    data = mem.data() + lead;
    capacity = cap;
    return true;
  }

  void add_record(size_t n, int64_t time_ns) {
    len += n;
    ++records;
    dgram_min = std::min(dgram_min, time_ns);
    dgram_max = std::max(dgram_max, time_ns);
  }

  void end_datagram(uint16_t ledger) {
    ++datagrams;
    auto it = std::find_if(by_ledger.begin(), by_ledger.end(), [&](const auto& e) { return e.first == ledger; });
    if (it != by_ledger.end()) {
      ++it->second;
    } else {
      by_ledger.emplace_back(ledger, 1);
    }
    min_time = std::min(min_time, dgram_min);
    max_time = std::max(max_time, dgram_max);
    dgram_start = len;
    dgram_first_record = records;
    dgram_min = std::numeric_limits<int64_t>::max();
    dgram_max = std::numeric_limits<int64_t>::min();
  }

  // Fills in and checksums the header over the complete datagrams only (their
  // payload already compressed if `flags` says so).
  void seal(uint8_t flags = segfmt::kCompressionNone) {
    header.length = static_cast<uint32_t>(len);
    header.payload_length = static_cast<uint32_t>(payload());
    header.record_count = records;
    header.min_time_ns = min_time;
    header.max_time_ns = max_time;
    header.flags = flags;
    seal_batch(header, data);
    state = State::kSealed;
  }
};

}  // namespace ringest
