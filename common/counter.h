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
  // Writer thread only. A release store, and an acquire load in get(): a
  // reader that sees a count also sees everything its writer did before it —
  // the pipeline frees a retired listener's probes once the shards' counts
  // say all its datagrams settled. On x86 both are plain moves.
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_release); }
  void set(uint64_t n) { v_.store(n, std::memory_order_release); }
  // Any thread.
  uint64_t get() const { return v_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace ringest
