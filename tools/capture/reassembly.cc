#include "tools/capture/reassembly.h"

#include <algorithm>
#include <cstring>

namespace ringest::capture {

void Reassembler::expire(int64_t ts_ns, SkipCounts& skips) {
  for (auto it = open_.begin(); it != open_.end();) {
    if (ts_ns - it->second.first_ts > limits_.timeout_ns) {
      skips[size_t(Skip::kFragmentIncomplete)] += it->second.frames;
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::span<const uint8_t>> Reassembler::add(const IpPacket& ip, int64_t ts_ns,
                                                         SkipCounts& skips) {
  expire(ts_ns, skips);
  const uint32_t begin = ip.frag_offset;
  const uint32_t end = begin + uint32_t(ip.payload.size());
  // Every fragment but the last carries a multiple of 8 bytes; no datagram exceeds 64 KiB.
  if (end > 65535 || (ip.more_fragments && ip.payload.size() % 8 != 0) ||
      (ip.more_fragments && end == begin)) {
    ++skips[size_t(Skip::kFragmentInvalid)];
    return std::nullopt;
  }
  const size_t addr_len = ip.src.version == 4 ? 4 : 16;
  std::vector<uint8_t> addrs(ip.src.bytes, ip.src.bytes + addr_len);
  addrs.insert(addrs.end(), ip.dst.bytes, ip.dst.bytes + addr_len);
  Key key{ip.src.version, std::move(addrs), ip.protocol, ip.frag_id};
  auto it = open_.find(key);
  if (it == open_.end()) {
    if (open_.size() >= limits_.max_open) {
      // Evict the oldest: its fragments will never be sent.
      auto oldest = std::min_element(open_.begin(), open_.end(), [](const auto& a, const auto& b) {
        return a.second.first_ts < b.second.first_ts;
      });
      skips[size_t(Skip::kFragmentIncomplete)] += oldest->second.frames;
      open_.erase(oldest);
    }
    it = open_.emplace(std::move(key), Pending{}).first;
    it->second.first_ts = ts_ns;
  }
  Pending& p = it->second;
  ++p.frames;
  const bool last = !ip.more_fragments;
  const bool overlaps = std::any_of(p.ranges.begin(), p.ranges.end(),
                                    [&](const auto& r) { return begin < r.second && r.first < end; });
  const bool beyond_last = p.total >= 0 && (last || end > uint32_t(p.total));
  const bool short_last =
      last && std::any_of(p.ranges.begin(), p.ranges.end(), [&](const auto& r) { return r.second > end; });
  if (overlaps || beyond_last || short_last) {
    // Ambiguous datagram: drop what was held and this fragment. Later
    // fragments of it never complete and are counted as incomplete.
    skips[size_t(Skip::kFragmentOverlap)] += p.frames;
    open_.erase(it);
    return std::nullopt;
  }
  if (p.data.size() < end) p.data.resize(end);
  std::memcpy(p.data.data() + begin, ip.payload.data(), ip.payload.size());
  p.ranges.emplace_back(begin, end);
  p.covered += end - begin;
  if (last) p.total = end;
  if (p.total < 0 || p.covered != uint32_t(p.total)) return std::nullopt;
  done_ = std::move(p.data);
  last_frames_ = p.frames;
  open_.erase(it);
  return std::span<const uint8_t>(done_);
}

void Reassembler::finish(SkipCounts& skips) {
  for (auto& [key, p] : open_) {
    skips[size_t(Skip::kFragmentIncomplete)] += p.frames;
  }
  open_.clear();
}

}  // namespace ringest::capture
