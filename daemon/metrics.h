// Metrics: the one place where probes meet prometheus-cpp. Nothing on the
// packet path touches prometheus-cpp; at scrape time this collector reads
// every probe (plain per-thread counters) and sums them into families.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace prometheus {
class Exposer;
}

namespace ringest {

class Pipeline;

class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  // Serves /metrics on `listen` ("127.0.0.1:9310"; port 0 picks one) for
  // `pipeline`, which must outlive this server or be detached first.
  Status start(const std::string& listen, const Pipeline& pipeline);
  uint16_t port() const { return port_; }

 private:
  std::shared_ptr<class PipelineCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  uint16_t port_ = 0;
};

// The exposition text of every metric, as /metrics serves it (for tests and
// for `ringestd` diagnostics without an HTTP round trip).
std::string render_metrics(const Pipeline& pipeline);

}  // namespace ringest
