// Heartbeat: a pipeline stage's sign of life, for the service watchdog. The
// stage's own thread says by when it will be back (expect_by) each time it
// starts waiting or starts work; any thread asks how far past that it is. A
// stage waiting for work with no deadline (INT64_MAX) is idle, never overdue:
// whether work waits for it is judged where the work queues.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringest {

class Heartbeat {
 public:
  // Owning thread: it will beat again by `mono_ns`.
  void expect_by(int64_t mono_ns) { due_.store(mono_ns, std::memory_order_relaxed); }
  // Any thread: how long past due it is at `now_mono_ns` (0 if not).
  int64_t overdue_ns(int64_t now_mono_ns) const {
    const int64_t due = due_.load(std::memory_order_relaxed);
    return now_mono_ns > due ? now_mono_ns - due : 0;
  }

 private:
  std::atomic<int64_t> due_{INT64_MAX};
};

}  // namespace ringest
