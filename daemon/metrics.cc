#include "daemon/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <future>

#include "daemon/pipeline.h"
#include "rio/engine_factory.h"

namespace ringest {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

class Family {
 public:
  Family(std::string name, std::string help, MetricType type) {
    f_.name = std::move(name);
    f_.help = std::move(help);
    f_.type = type;
  }
  Family& add(std::vector<ClientMetric::Label> labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f_.type == MetricType::Counter) {
      m.counter.value = v;
    } else {
      m.gauge.value = v;
    }
    f_.metric.push_back(std::move(m));
    return *this;
  }
  MetricFamily take() { return std::move(f_); }

 private:
  MetricFamily f_;
};

std::vector<MetricFamily> collect(const Pipeline& p) {
  const Settings& s = p.settings();
  const size_t nl = s.listeners.size();
  auto lname = [&](size_t l) { return s.listeners[l].name; };

  Family received("ringest_received_datagrams_total", "Datagrams taken from the kernel, per listener and engine.",
                  MetricType::Counter);
  Family received_bytes("ringest_received_bytes_total", "Payload bytes taken from the kernel.", MetricType::Counter);
  Family dropped("ringest_dropped_datagrams_total",
                 "Datagrams lost, by the stage that lost them and why. Sink-stage drops have an empty listener: a "
                 "batch mixes listeners.",
                 MetricType::Counter);
  Family rcvbuf("ringest_socket_receive_buffer_bytes", "SO_RCVBUF granted by the OS, per socket.",
                MetricType::Gauge);

  std::vector<double> truncated(nl), k_rcvbuf(nl), k_noslot(nl), shutdown(nl), queue_full(nl);
  for (const BoundListenerSocket& b : p.sockets()) {
    const rio::Engine& e = p.receivers()[b.receiver]->engine();
    const rio::SocketProbe& sp = e.sockets()[b.socket];
    std::string engine(rio::to_string(e.kind()));
    received.add({{"listener", lname(b.listener)}, {"engine", engine}, {"socket", std::to_string(b.socket)}},
                 double(sp.datagrams.get() + sp.truncated.get()));
    received_bytes.add({{"listener", lname(b.listener)}, {"engine", engine}, {"socket", std::to_string(b.socket)}},
                       double(sp.bytes.get()));
    rcvbuf.add({{"listener", lname(b.listener)}, {"socket", std::to_string(b.socket)}},
               double(b.bound.rcvbuf_granted / 2));
    truncated[b.listener] += double(sp.truncated.get());
    k_rcvbuf[b.listener] += double(sp.kernel_drops_rcvbuf.get());
    k_noslot[b.listener] += double(sp.kernel_drops_no_slot.get());
    shutdown[b.listener] += double(sp.shutdown_drops.get());
  }
  for (const auto& r : p.receivers())
    for (size_t l = 0; l < nl; ++l) queue_full[l] += double(r->queue_full_drops(l));

  Family points("ringest_points_total", "Points parsed and appended to the log.", MetricType::Counter);
  Family parse_errors("ringest_parse_errors_total", "Lines rejected by a parser, by format and reason.",
                      MetricType::Counter);
  Family raw("ringest_raw_records_total", "Rejected lines kept as raw records.", MetricType::Counter);
  std::vector<double> parse_dropped(nl);
  for (size_t l = 0; l < nl; ++l) {
    double pts = 0, rw = 0;
    const auto& reasons = p.shards().front()->parser(l).reasons();
    std::vector<double> errs(reasons.size());
    for (const auto& shard : p.shards()) {
      const ShardListenerProbe& sp = shard->listener_probe(l);
      pts += double(sp.points.get());
      rw += double(sp.raw.get());
      parse_dropped[l] += double(sp.parse_dropped.get());
      for (size_t r = 0; r < reasons.size(); ++r) errs[r] += double(sp.parse_errors[r].get());
    }
    const std::string& fmt = s.listeners[l].format;
    points.add({{"listener", lname(l)}, {"format", fmt}}, pts);
    raw.add({{"listener", lname(l)}}, rw);
    for (size_t r = 0; r < reasons.size(); ++r)
      parse_errors.add({{"listener", lname(l)}, {"format", fmt}, {"reason", std::string(reasons[r])}}, errs[r]);
  }

  for (size_t l = 0; l < nl; ++l) {
    auto d = [&](const char* stage, const char* reason, double v) {
      dropped.add({{"listener", lname(l)}, {"stage", stage}, {"reason", reason}}, v);
    };
    d("kernel", "rcvbuf_full", k_rcvbuf[l]);
    d("kernel", "no_free_slot", k_noslot[l]);
    d("receive", "truncated", truncated[l]);
    d("handoff", "queue_full", queue_full[l]);
    d("parse", "parse_error", parse_dropped[l]);
    d("shutdown", "shutdown", shutdown[l]);
  }

  Family stored("ringest_stored_datagrams_total", "Datagrams whose records were written to the log.",
                MetricType::Counter);
  Family records("ringest_log_records_written_total", "Records written to the log.", MetricType::Counter);
  Family bytes("ringest_log_bytes_written_total", "Bytes written to segment files.", MetricType::Counter);
  Family batches("ringest_log_batches_written_total", "Batches written.", MetricType::Counter);
  Family syncs("ringest_log_syncs_total", "fdatasync calls completed.", MetricType::Counter);
  Family sync_errors("ringest_log_sync_errors_total", "fdatasync calls that failed.", MetricType::Counter);
  Family segments("ringest_log_segments_created_total", "Segment files created.", MetricType::Counter);
  Family durable("ringest_log_durable_offset", "Records below this offset are durable on disk.", MetricType::Gauge);
  Family next("ringest_log_next_offset", "Offset the next record gets.", MetricType::Gauge);
  double disk_full = 0, sink_error = 0;
  for (size_t i = 0; i < p.shards().size(); ++i) {
    const LogProbe& lp = p.shards()[i]->log_probe();
    std::vector<ClientMetric::Label> part{{"partition", std::to_string(i)}};
    stored.add(part, double(lp.datagrams_stored.get()));
    records.add(part, double(lp.records_written.get()));
    bytes.add(part, double(lp.bytes_written.get()));
    batches.add(part, double(lp.batches_written.get()));
    syncs.add(part, double(lp.syncs.get()));
    sync_errors.add(part, double(lp.sync_errors.get()));
    segments.add(part, double(lp.segments_created.get()));
    durable.add(part, double(lp.durable_offset.get()));
    next.add(part, double(lp.next_offset.get()));
    disk_full += double(lp.dropped_disk_full.get());
    sink_error += double(lp.dropped_sink_error.get());
  }
  dropped.add({{"listener", ""}, {"stage", "sink"}, {"reason", "disk_full"}}, disk_full);
  dropped.add({{"listener", ""}, {"stage", "sink"}, {"reason", "sink_error"}}, sink_error);

  Family depth("ringest_queue_depth", "Datagrams waiting for a parser shard.", MetricType::Gauge);
  depth.add({}, double(p.queue_depth()));
  Family in_use("ringest_receive_slots_in_use", "Receive slots handed to the pipeline and not yet returned.",
                MetricType::Gauge);
  Family slots("ringest_receive_slots", "Receive slots per engine.", MetricType::Gauge);
  Family exhausted("ringest_receive_pool_exhausted_total", "Times an engine ran out of free receive slots.",
                   MetricType::Counter);
  for (size_t i = 0; i < p.receivers().size(); ++i) {
    const rio::Engine& e = p.receivers()[i]->engine();
    std::vector<ClientMetric::Label> lab{{"receiver", std::to_string(i)}, {"engine", std::string(rio::to_string(e.kind()))}};
    in_use.add(lab, double(e.probe().slots_in_use.get()));
    slots.add(lab, double(e.pool().slots()));
    exhausted.add(lab, double(e.probe().pool_exhausted.get()));
  }
  Family build("ringest_build_info", "Build information.", MetricType::Gauge);
  build.add({{"version", RINGEST_VERSION}}, 1);

  std::vector<MetricFamily> out;
  for (Family* f : {&received, &received_bytes, &dropped, &rcvbuf, &points, &parse_errors, &raw, &stored, &records,
                    &bytes, &batches, &syncs, &sync_errors, &segments, &durable, &next, &depth, &in_use, &slots,
                    &exhausted, &build})
    out.push_back(f->take());
  return out;
}

}  // namespace

class PipelineCollector : public prometheus::Collectable {
 public:
  explicit PipelineCollector(const Pipeline& p) : p_(p) {}
  // civetweb runs handlers on threads with a small fixed stack; collecting
  // (many families, labels built on the fly) runs on a thread of its own with
  // an ordinary stack. Scrapes are rare, so the thread costs nothing that matters.
  std::vector<MetricFamily> Collect() const override {
    return std::async(std::launch::async, [this] { return collect(p_); }).get();
  }

 private:
  const Pipeline& p_;
};

MetricsServer::MetricsServer() = default;
MetricsServer::~MetricsServer() = default;

Status MetricsServer::start(const std::string& listen, const Pipeline& pipeline) {
  collector_ = std::make_shared<PipelineCollector>(pipeline);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return Status::invalid("metrics listen " + listen + ": " + e.what());
  }
  exposer_->RegisterCollectable(collector_, "/metrics");
  auto ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? 0 : static_cast<uint16_t>(ports.front());
  return {};
}

std::string render_metrics(const Pipeline& pipeline) {
  return prometheus::TextSerializer().Serialize(collect(pipeline));
}

}  // namespace ringest
