// Metrics: the one place where probes meet prometheus-cpp. Nothing on the
// packet path touches prometheus-cpp; at scrape time the collector reads every
// probe (plain per-thread counters) under the pipeline's structure lock and
// sums them into families. daemon/http_server.h serves them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "common/status.h"

namespace ringest {

class Pipeline;
struct ListenerRuntime;

// The counters of listeners a reload retired, once their receivers are gone:
// kept so that no counter goes backwards for the life of the process. A
// retired listener's series stay under its labels; a successor of the same
// name and sockets adds to them. Written by the control thread under the
// pipeline's structure lock, read at scrape time under it.
class DepartedCounters {
 public:
  void add(const ListenerRuntime& l, size_t shards);
  const std::vector<prometheus::MetricFamily>& families() const { return families_; }

 private:
  std::vector<prometheus::MetricFamily> families_;
};

// What the daemon reports besides the pipeline; written by the control thread.
struct DaemonStatus {
  std::atomic<bool> ready{false};     // listeners bound and the log open
  std::atomic<bool> draining{false};  // stopping: no longer ready
  std::atomic<bool> last_reload_ok{true};
  std::atomic<double> last_reload_success_unix{0};
  std::atomic<uint64_t> reloads{0};
  std::atomic<uint64_t> reload_failures{0};
};

// Whole-daemon accounting: what the engines took from the kernel, what was
// stored, and what was dropped where, summed over listeners and shards.
struct Totals {
  uint64_t received = 0;       // taken from the kernel (stored or dropped after this)
  uint64_t kernel_dropped = 0; // lost in the kernel before ringest could take them
  bool kernel_drops_counted = false;  // false where no engine can see them (Windows)
  uint64_t stored = 0;
  uint64_t dropped = 0;        // after receive, every stage
  uint64_t sink_dropped = 0;   // of those, by the log (disk full, write errors)
  std::string dropped_detail;  // "stage/reason=n, ..." for the non-zero ones
};
Totals totals(const Pipeline& pipeline);

// The exposition text of every metric, as /metrics serves it. Either
// argument may be null.
std::string render_metrics(const Pipeline* pipeline, const DaemonStatus* status);

}  // namespace ringest
