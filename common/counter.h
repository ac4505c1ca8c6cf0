// Counter: a plain per-thread counter for the packet path. Exactly one thread
// writes it (add/set are a load and a store, no locked instruction); any thread
// may read it at scrape time. Probes are built from these and summed when
// /metrics is scraped, so the per-datagram path never shares a cache line
// with another writer.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringest {

class Counter {
 public:
  // Writer thread only.
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  // Any thread.
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace ringest
