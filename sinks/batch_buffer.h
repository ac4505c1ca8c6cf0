// One batch's bytes and bookkeeping, from the first append until its write is
// accounted for. Internal to the partition log; owned by one shard thread.
//
// Layout of `data`: kBatchHeaderSize bytes left for the header (filled when the
// batch is sealed), then the encoded records. The buffer is sized at open for a
// full batch plus one more datagram, so it only grows for an unusual datagram,
// never per record.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "sinks/segment_format.h"
#include "sinks/segment_headers.h"

namespace ringest {

struct BatchBuffer {
  enum class State : uint8_t {
    kFree,      // in the pool
    kOpen,      // taking appends
    kSealed,    // header written, waiting to be submitted
    kInFlight,  // write submitted
    kWritten,   // write completed, waiting for the batches before it
    kFailed,    // write failed, waiting for the rest to settle
  };

  std::unique_ptr<uint8_t[]> data;
  size_t capacity = 0;
  size_t len = segfmt::kBatchHeaderSize;  // header + payload so far
  State state = State::kFree;

  BatchHeader header;  // base_offset set at the first append; the rest when sealed
  uint32_t records = 0;
  uint32_t datagrams = 0;  // complete datagrams in the batch
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
    data = std::make_unique<uint8_t[]>(cap);
    capacity = cap;
  }

  void reset() {
    len = dgram_start = segfmt::kBatchHeaderSize;
    header = BatchHeader{};
    records = datagrams = dgram_first_record = 0;
    min_time = dgram_min = std::numeric_limits<int64_t>::max();
    max_time = dgram_max = std::numeric_limits<int64_t>::min();
    file_pos = 0;
    no_space = false;
  }

  size_t payload() const { return len - segfmt::kBatchHeaderSize; }
  uint8_t* payload_data() { return data.get() + segfmt::kBatchHeaderSize; }
  bool in_datagram() const { return records > dgram_first_record; }

  // Makes room for `n` more bytes; growth copies, so it is kept rare by sizing.
  void reserve_more(size_t n) {
    if (len + n <= capacity) return;
    size_t cap = std::max(capacity * 2, len + n);
    auto bigger = std::make_unique<uint8_t[]>(cap);
    std::memcpy(bigger.get(), data.get(), len);
    data = std::move(bigger);
    capacity = cap;
  }

  void add_record(size_t n, int64_t time_ns) {
    len += n;
    ++records;
    dgram_min = std::min(dgram_min, time_ns);
    dgram_max = std::max(dgram_max, time_ns);
  }

  void end_datagram() {
    ++datagrams;
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
    seal_batch(header, data.get());
    state = State::kSealed;
  }
};

}  // namespace ringest
