// Clocks used across the project, in nanoseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace ringest {

// Wall-clock time since the Unix epoch: record timestamps.
inline int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Monotonic time: intervals, deadlines, latencies.
inline int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace ringest
