// IPv4 and IPv6 fragment reassembly for replay.
//
// Fragments are keyed by (source, destination, protocol, identification).
// A datagram completes when its last fragment has been seen and every byte
// below it is covered; overlapping fragments drop the whole datagram (the
// classic ambiguity attack; Linux drops such datagrams too) and count as
// kFragmentOverlap. Fragments of
// datagrams that never complete — still open at the end of the capture,
// older than the timeout in capture time, or evicted by the limits — are
// counted as kFragmentIncomplete, one per fragment frame.
//
// Single-threaded. A returned payload view stays valid until the next call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "tools/capture/decode.h"

namespace ringest::capture {

class Reassembler {
 public:
  struct Limits {
    size_t max_open = 1024;               // datagrams being reassembled at once
    int64_t timeout_ns = 30'000'000'000;  // in capture time, like the kernel's ipfrag_time
  };

  Reassembler() = default;
  explicit Reassembler(Limits limits) : limits_(limits) {}

  // Takes one fragment (ip.fragmented is true). Returns the whole L4 payload
  // once the datagram is complete; skips of this or earlier fragments are
  // added to `skips`.
  std::optional<std::span<const uint8_t>> add(const IpPacket& ip, int64_t ts_ns, SkipCounts& skips);

  // Ends the capture: every fragment still held counts as kFragmentIncomplete.
  void finish(SkipCounts& skips);

  size_t open() const { return open_.size(); }
  // Fragment frames that made up the datagram add() last returned.
  uint64_t last_frames() const { return last_frames_; }

 private:
  using Key = std::tuple<uint8_t, std::vector<uint8_t>, uint8_t, uint32_t>;
  struct Pending {
    std::vector<uint8_t> data;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // [begin, end) received
    uint32_t covered = 0;
    int64_t total = -1;  // known once the last fragment arrived
    uint64_t frames = 0;
    int64_t first_ts = 0;
  };

  void expire(int64_t ts_ns, SkipCounts& skips);

  Limits limits_;
  std::map<Key, Pending> open_;
  std::vector<uint8_t> done_;
  uint64_t last_frames_ = 0;
};

}  // namespace ringest::capture
