// Which offsets a run of messages covered, in whatever order they came: the
// forwarder's check of a subject after a failed publish (a message lost while
// later ones were stored leaves a hole) and ringest-dump's check of a stream.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

namespace ringest {

class OffsetCoverage {
 public:
  using Range = std::pair<uint64_t, uint64_t>;  // [first, end)

  // Adds [first, end); returns how many of its offsets were covered already.
  uint64_t add(uint64_t first, uint64_t end) {
    if (first >= end) return 0;
    uint64_t again = 0;
    auto it = ranges_.upper_bound(first);
    if (it != ranges_.begin() && std::prev(it)->second >= first) --it;
    // Merge every range that overlaps or touches [first, end).
    while (it != ranges_.end() && it->first <= end) {
      const uint64_t lo = std::max(first, it->first), hi = std::min(end, it->second);
      if (hi > lo) again += hi - lo;
      first = std::min(first, it->first);
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_.emplace(first, end);
    return again;
  }

  bool empty() const { return ranges_.empty(); }
  uint64_t begin() const { return ranges_.empty() ? 0 : ranges_.begin()->first; }
  uint64_t end() const { return ranges_.empty() ? 0 : ranges_.rbegin()->second; }

  // [from, end()) less what was covered.
  std::vector<Range> holes(uint64_t from) const {
    std::vector<Range> out;
    uint64_t at = from;
    for (const auto& [first, end] : ranges_) {
      if (end <= at) continue;
      if (first > at) out.emplace_back(at, first);
      at = end;
    }
    return out;
  }

 private:
  std::map<uint64_t, uint64_t> ranges_;  // disjoint, never touching
};

}  // namespace ringest
