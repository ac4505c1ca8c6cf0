#include "daemon/metrics.h"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <prometheus/text_serializer.h>

#include "common/clock.h"
#include "daemon/pipeline.h"
#include "daemon/process_stats.h"
#include "rio/engine_factory.h"

namespace ringest {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

namespace {

class Family {
 public:
  Family(std::string name, std::string help, MetricType type) {
    f_.name = std::move(name);
    f_.help = std::move(help);
    f_.type = type;
  }
  // A series already there (a listener retired by a reload and its
  // successor of the same name) takes the sum.
  void add(Labels labels, double v) {
    for (ClientMetric& m : f_.metric) {
      if (m.label == labels) {
        (f_.type == MetricType::Counter ? m.counter.value : m.gauge.value) += v;
        return;
      }
    }
    ClientMetric m;
    m.label = std::move(labels);
    (f_.type == MetricType::Counter ? m.counter.value : m.gauge.value) = v;
    f_.metric.push_back(std::move(m));
  }
  // A histogram from per-bucket (not cumulative) counts.
  void add_histogram(Labels labels, const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                     double sum) {
    for (ClientMetric& m : f_.metric) {
      if (m.label != labels) continue;
      uint64_t cumulative = 0;
      for (size_t i = 0; i < counts.size() && i < m.histogram.bucket.size(); ++i) {
        cumulative += counts[i];
        m.histogram.bucket[i].cumulative_count += cumulative;
      }
      m.histogram.sample_count += cumulative;
      m.histogram.sample_sum += sum;
      return;
    }
    ClientMetric m;
    m.label = std::move(labels);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      ClientMetric::Bucket b;
      b.cumulative_count = cumulative;
      b.upper_bound = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back(b);
    }
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = sum;
    f_.metric.push_back(std::move(m));
  }
  MetricFamily take() { return std::move(f_); }

 private:
  MetricFamily f_;
};

struct Families {
  std::vector<MetricFamily> out;
  void add(Family& f) { out.push_back(f.take()); }
};

// Adds the counters and histograms of `from` into `into`: a series in both
// takes the sum, one only in `from` is added. Gauges are not merged.
void merge_counters(const std::vector<MetricFamily>& from, std::vector<MetricFamily>& into) {
  for (const MetricFamily& f : from) {
    if (f.type != MetricType::Counter && f.type != MetricType::Histogram) continue;
    auto fam = std::find_if(into.begin(), into.end(), [&](const MetricFamily& g) { return g.name == f.name; });
    if (fam == into.end()) {
      into.push_back(f);
      continue;
    }
    for (const ClientMetric& m : f.metric) {
      auto same = std::find_if(fam->metric.begin(), fam->metric.end(),
                               [&](const ClientMetric& n) { return n.label == m.label; });
      if (same == fam->metric.end()) {
        fam->metric.push_back(m);
      } else if (f.type == MetricType::Counter) {
        same->counter.value += m.counter.value;
      } else {
        for (size_t i = 0; i < m.histogram.bucket.size() && i < same->histogram.bucket.size(); ++i)
          same->histogram.bucket[i].cumulative_count += m.histogram.bucket[i].cumulative_count;
        same->histogram.sample_count += m.histogram.sample_count;
        same->histogram.sample_sum += m.histogram.sample_sum;
      }
    }
  }
}

// The receive-side families. add() takes one listener: a running one (`live`),
// or one a reload retired, whose counters stay in the sums for the life of the
// process (its gauges are left out: they describe sockets that are gone).
struct ReceiveFamilies {
  ReceiveFamilies();
  void add(const ListenerRuntime& l, size_t shards, bool live);
  void take(Families& fam) {
    for (Family* f : {&received, &bytes, &dropped, &stored, &rcvbuf, &points, &parse_errors, &skipped, &raw,
                      &in_use, &headroom, &exhausted, &batch, &tcp_open, &tcp_accepted, &tcp_refused, &tcp_idle,
                      &tcp_errors, &tcp_stalls})
      fam.add(*f);
  }

  Family received{"ringest_received_datagrams_total",
                  "Datagrams taken from the kernel, per listener and engine: each is stored or counted in one "
                  "drop reason after stage kernel.",
                  MetricType::Counter};
  Family bytes{"ringest_received_bytes_total", "Payload bytes taken from the kernel.", MetricType::Counter};
  Family dropped{"ringest_dropped_datagrams_total", "Datagrams lost, per listener, by the stage that lost them and why.",
                 MetricType::Counter};
  Family stored{"ringest_stored_datagrams_total",
                "Datagrams whose records were written to the log, per listener and partition.", MetricType::Counter};
  Family rcvbuf{"ringest_socket_receive_buffer_bytes", "SO_RCVBUF granted by the OS, per socket.", MetricType::Gauge};
  Family points{"ringest_points_total", "Points parsed and appended to the log.", MetricType::Counter};
  Family parse_errors{"ringest_parse_errors_total", "Lines rejected by a parser, by format and reason.",
                      MetricType::Counter};
  Family skipped{"ringest_parse_skipped_total",
                 "Parts of accepted lines a parser did not know and left out (DogStatsD sections of newer "
                 "clients), by format and what; only those seen are shown.",
                 MetricType::Counter};
  Family raw{"ringest_raw_records_total", "Rejected lines kept as raw records.", MetricType::Counter};
  Family in_use{"ringest_receive_slots_in_use", "Receive slots handed to the pipeline and not yet returned.",
                MetricType::Gauge};
  Family headroom{"ringest_receive_slots_used_ratio",
                  "Share of receive slots in use (0..1); near 1 the pool is about to run out.", MetricType::Gauge};
  Family exhausted{"ringest_receive_pool_exhausted_total", "Times an engine ran out of free receive slots.",
                   MetricType::Counter};
  Family batch{"ringest_receive_batch_datagrams", "Datagrams handed to the parsers per engine wakeup.",
               MetricType::Histogram};
  // TCP listeners only.
  Family tcp_open{"ringest_tcp_connections", "TCP connections open now.", MetricType::Gauge};
  Family tcp_accepted{"ringest_tcp_connections_accepted_total", "TCP connections accepted and kept.",
                      MetricType::Counter};
  Family tcp_refused{"ringest_tcp_connections_refused_total",
                     "TCP connections closed at once because max_connections were open.", MetricType::Counter};
  Family tcp_idle{"ringest_tcp_connections_idle_closed_total",
                  "TCP connections closed after idle_timeout_ms without a byte.", MetricType::Counter};
  Family tcp_errors{"ringest_tcp_connection_errors_total",
                    "TCP connections ended by an error (reset), and accepts that failed.", MetricType::Counter};
  Family tcp_stalls{"ringest_tcp_receive_stalls_total",
                    "Times a TCP listener stopped reading because its receive slots were all in use (TCP "
                    "flow control then holds the senders back; nothing is dropped).",
                    MetricType::Counter};
};

ReceiveFamilies::ReceiveFamilies() = default;

void ReceiveFamilies::add(const ListenerRuntime& lr, size_t shards, bool live) {
  const ListenerRuntime* l = &lr;
  {
    const ListenerSettings& ls = l->state->settings;
    double k_rcvbuf = 0, k_noslot = 0, truncated = 0, shutdown = 0, queue_full = 0;
    double too_long = 0, partial = 0, bad_frame = 0;
    bool kernel_drops_seen = false, tcp = false;
    std::vector<uint64_t> batch_counts(Receiver::kBatchBuckets);
    uint64_t batch_sum = 0;
    uint64_t slots = 0, used = 0;
    for (size_t i = 0; i < l->receivers.size(); ++i) {
      const Receiver& r = *l->receivers[i];
      const rio::Engine& e = r.engine();
      std::string engine(rio::to_string(e.kind()));
      kernel_drops_seen = kernel_drops_seen || e.counts_kernel_drops();
      const rio::StreamProbe* st = e.stream();
      uint64_t stream_drops = 0;
      if (st != nullptr) {
        tcp = true;
        stream_drops = st->too_long.get() + st->partial.get() + st->bad_frame.get();
        too_long += double(st->too_long.get());
        partial += double(st->partial.get());
        bad_frame += double(st->bad_frame.get());
        Labels lab{{"listener", ls.name}, {"socket", std::to_string(i)}};
        if (live) tcp_open.add(lab, double(st->open.get()));
        tcp_accepted.add(lab, double(st->accepted.get()));
        tcp_refused.add(lab, double(st->refused.get()));
        tcp_idle.add(lab, double(st->idle_closed.get()));
        tcp_errors.add(lab, double(st->errors.get()));
        tcp_stalls.add(lab, double(st->stalls.get()));
      }
      for (const rio::SocketProbe& sp : e.sockets()) {
        Labels lab{{"listener", ls.name}, {"engine", engine}, {"socket", std::to_string(i)}};
        received.add(lab, double(sp.datagrams.get() + sp.truncated.get() + sp.shutdown_drops.get() + stream_drops));
        bytes.add(lab, double(sp.bytes.get()));
        k_rcvbuf += double(sp.kernel_drops_rcvbuf.get());
        k_noslot += double(sp.kernel_drops_no_slot.get());
        truncated += double(sp.truncated.get());
        shutdown += double(sp.shutdown_drops.get());
      }
      if (live && st == nullptr) rcvbuf.add({{"listener", ls.name}, {"socket", std::to_string(i)}}, double(l->bound[i].rcvbuf_granted));
      queue_full += double(r.queue_full_drops());
      for (size_t b = 0; b < Receiver::kBatchBuckets; ++b) batch_counts[b] += r.batch_bucket(b);
      batch_sum += r.batch_datagrams();
      slots += e.pool().slots();
      used += e.probe().slots_in_use.get();
      exhausted.add({{"listener", ls.name}, {"socket", std::to_string(i)}}, double(e.probe().pool_exhausted.get()));
    }
    if (live) {
      in_use.add({{"listener", ls.name}}, double(used));
      headroom.add({{"listener", ls.name}}, slots ? double(used) / double(slots) : 0);
    }
    std::vector<double> bounds;
    for (size_t b = 0; b + 1 < Receiver::kBatchBuckets; ++b) bounds.push_back(double(size_t{1} << b));
    batch.add_histogram({{"listener", ls.name}}, bounds, batch_counts, double(batch_sum));

    double pts = 0, rw = 0, parse_dropped = 0, filtered = 0, too_large = 0, disk_full = 0, sink_error = 0;
    auto reasons = l->state->reasons();
    std::vector<double> errs(reasons.size());
    auto skips = l->state->skips();
    std::vector<double> skip_counts(skips.size());
    for (size_t s = 0; s < shards; ++s) {
      const ShardListenerProbe& sp = l->state->probes[s];
      pts += double(sp.points.get());
      rw += double(sp.raw.get());
      parse_dropped += double(sp.parse_dropped.get());
      filtered += double(sp.filtered.get());
      too_large += double(sp.too_large.get());
      disk_full += double(sp.dropped_disk_full.get());
      sink_error += double(sp.dropped_sink_error.get());
      stored.add({{"listener", ls.name}, {"partition", std::to_string(s)}}, double(sp.stored.get()));
      for (size_t r = 0; r < reasons.size(); ++r) errs[r] += double(sp.parse_errors[r].get());
      for (size_t k = 0; k < skips.size(); ++k) skip_counts[k] += double(sp.skipped[k].get());
    }
    for (size_t k = 0; k < skips.size(); ++k)
      if (skip_counts[k] > 0)
        skipped.add({{"listener", ls.name}, {"format", ls.format}, {"what", std::string(skips[k])}}, skip_counts[k]);
    points.add({{"listener", ls.name}, {"format", ls.format}}, pts);
    raw.add({{"listener", ls.name}}, rw);
    for (size_t r = 0; r < reasons.size(); ++r)
      parse_errors.add({{"listener", ls.name}, {"format", ls.format}, {"reason", std::string(reasons[r])}}, errs[r]);

    auto d = [&](const char* stage, const char* reason, double v) {
      dropped.add({{"listener", ls.name}, {"stage", stage}, {"reason", reason}}, v);
    };
    // Where the engine cannot see kernel drops (Windows) a 0 would claim
    // there were none: the series is left out instead.
    if (kernel_drops_seen) {
      d("kernel", "rcvbuf_full", k_rcvbuf);
      d("kernel", "no_free_slot", k_noslot);
    }
    d("receive", "truncated", truncated);
    if (tcp) {
      d("receive", "line_too_long", too_long);
      d("receive", "partial_line", partial);
      d("receive", "bad_frame", bad_frame);
    }
    d("handoff", "queue_full", queue_full);
    d("filter", "not_allowed", filtered);
    d("filter", "too_large", too_large);
    d("parse", "parse_error", parse_dropped);
    d("shutdown", "shutdown", shutdown);
    d("sink", "disk_full", disk_full);
    d("sink", "sink_error", sink_error);
  }
}

void collect_receive(const Pipeline& p, Families& fam) {
  ReceiveFamilies rf;
  for (const auto& l : p.listeners()) rf.add(*l, p.shards().size(), true);
  for (const auto& l : p.retired_listeners()) rf.add(*l, p.shards().size(), false);
  rf.take(fam);
  merge_counters(p.departed_counters().families(), fam.out);
}

void collect_log(const Pipeline& p, Families& fam) {
  Family records("ringest_log_records_written_total", "Records written to the log.", MetricType::Counter);
  Family bytes("ringest_log_bytes_written_total", "Bytes written to segment files.", MetricType::Counter);
  Family batches("ringest_log_batches_written_total", "Batches written.", MetricType::Counter);
  Family syncs("ringest_log_syncs_total", "fdatasync calls completed.", MetricType::Counter);
  Family sync_errors("ringest_log_sync_errors_total", "fdatasync calls that failed.", MetricType::Counter);
  Family segments("ringest_log_segments_created_total", "Segment files created.", MetricType::Counter);
  Family durable("ringest_log_durable_offset", "Records below this offset are durable on disk (the watermark).",
                 MetricType::Gauge);
  Family next("ringest_log_next_offset", "Offset the next record gets.", MetricType::Gauge);
  Family suspect("ringest_log_segments_suspect_total",
                 "Segments sealed early after a failed fdatasync (never trusted as durable).", MetricType::Counter);
  Family deleted("ringest_log_segments_deleted_total", "Sealed segments deleted by retention.",
                 MetricType::Counter);
  Family cut("ringest_log_recovery_cut_bytes_total", "Bytes recovery cut from torn tails or set aside.",
             MetricType::Counter);
  Family skipped("ringest_log_recovery_skipped_bytes_total",
                 "Damaged bytes recovery skipped to the next valid batch (left on disk).", MetricType::Counter);
  Family lost("ringest_log_recovery_lost_records_total", "Records in the damaged batches recovery skipped.",
              MetricType::Counter);
  Family size("ringest_log_size_bytes", "Bytes in the partition's segment files.", MetricType::Gauge);
  Family failing("ringest_log_write_failing",
                 "1 while the partition's writes fail (disk full or a write error), until writes have held for a "
                 "second; /-/ready is 503 meanwhile.",
                 MetricType::Gauge);
  for (const auto& shard : p.shards()) {
    const LogProbe& lp = shard->log_probe();
    Labels part{{"partition", std::to_string(shard->index())}};
    records.add(part, double(lp.records_written.get()));
    bytes.add(part, double(lp.bytes_written.get()));
    batches.add(part, double(lp.batches_written.get()));
    syncs.add(part, double(lp.syncs.get()));
    sync_errors.add(part, double(lp.sync_errors.get()));
    segments.add(part, double(lp.segments_created.get()));
    durable.add(part, double(lp.durable_offset.get()));
    next.add(part, double(lp.next_offset.get()));
    suspect.add(part, double(lp.segments_suspect.get()));
    deleted.add(part, double(lp.segments_deleted.get()));
    cut.add(part, double(lp.recovery_cut_bytes.get()));
    skipped.add(part, double(lp.recovery_skipped_bytes.get()));
    lost.add(part, double(lp.recovery_lost_records.get()));
    size.add(part, double(lp.log_bytes.get()));
    failing.add(part, shard->write_health().state() == kWriting ? 0 : 1);
  }
  Family latency("ringest_receive_to_durable_seconds",
                 "From receive to durable on disk, sampled: the oldest record of every 10 ms, per partition.",
                 MetricType::Histogram);
  for (const auto& shard : p.shards()) {
    const DurableLatency& dl = shard->durable_latency();
    std::vector<double> bounds(DurableLatency::kBounds.begin(), DurableLatency::kBounds.end());
    std::vector<uint64_t> counts;
    for (size_t b = 0; b <= bounds.size(); ++b) counts.push_back(dl.bucket(b));
    latency.add_histogram({{"partition", std::to_string(shard->index())}}, bounds, counts, dl.sum_seconds());
  }
  Family depth("ringest_queue_depth", "Datagrams waiting for a parser shard.", MetricType::Gauge);
  depth.add({}, double(p.queue_depth()));
  for (Family* f : {&records, &bytes, &batches, &syncs, &sync_errors, &segments, &durable, &next, &depth,
                    &suspect, &deleted, &cut, &skipped, &lost, &size, &failing})
    fam.add(*f);
}

// The families are served with no series when no output is configured, so
// dashboards and alerts find them either way.
void collect_outputs(const Pipeline& p, Families& fam) {
  auto counter = [](const char* name, const char* help) { return Family(name, help, MetricType::Counter); };
  auto gauge = [](const char* name, const char* help) { return Family(name, help, MetricType::Gauge); };
  Family msgs = counter("ringest_output_published_messages_total", "Messages (one stored batch each) published.");
  Family recs = counter("ringest_output_published_records_total", "Records in the messages published.");
  Family acked = counter("ringest_output_acked_messages_total", "Messages the destination acknowledged.");
  Family acked_recs = counter("ringest_output_acked_records_total", "Records in the acknowledged messages.");
  Family dups = counter("ringest_output_duplicates_total",
                        "Messages the destination acknowledged as duplicates: it had them already and did not "
                        "store them again.");
  Family failures = counter("ringest_output_failures_total",
                            "Publishes that failed, by where: ack (the destination refused it or did not acknowledge "
                            "in time) or publish (the client refused it); forwarding then resumes from the "
                            "destination.");
  Family gaps = counter("ringest_output_gap_records_total",
                        "Records found missing from the destination after later ones were stored there (a publish "
                        "lost, e.g. in a leader change, while later ones arrived), and sent again.");
  Family in_flight = gauge("ringest_output_in_flight_messages", "Messages published and not yet acknowledged.");
  Family acked_offset = gauge("ringest_output_acked_offset", "Records below this offset are acknowledged.");
  Family lag = gauge("ringest_output_lag_records", "Durable records not yet acknowledged.");
  Family lag_bytes = gauge("ringest_output_lag_bytes",
                           "Stored bytes not yet acknowledged (to the end of the log; measured every 0.5 s).");
  Family lag_seconds = gauge("ringest_output_lag_seconds",
                             "Age of the oldest record not yet acknowledged (0 when none is).");
  Family last_ack = gauge("ringest_output_last_ack_timestamp_seconds", "When the destination last acknowledged.");
  Family connected = gauge("ringest_output_connected", "1 while the output is connected to its destination.");
  Family deleted = counter("ringest_output_deleted_unforwarded_records_total",
                           "Records retention deleted before this output had them acknowledged "
                           "(retention_overrides_forwarding = true).");
  const double now = double(wall_ns()) / 1e9;
  for (const auto& out : p.outputs()) {
    const std::string& name = out->settings().name;
    std::span<const OutputProbe> probes = out->probes();
    for (size_t i = 0; i < probes.size(); ++i) {
      const OutputProbe& o = probes[i];
      Labels l{{"output", name}, {"partition", std::to_string(i)}};
      auto with = [&](const char* k, const char* v) {
        Labels x = l;
        x.push_back({k, v});
        return x;
      };
      msgs.add(l, double(o.messages_published.get()));
      recs.add(l, double(o.records_published.get()));
      acked.add(l, double(o.messages_acked.get()));
      acked_recs.add(l, double(o.records_acked.get()));
      dups.add(l, double(o.duplicates.get()));
      failures.add(with("where", "ack"), double(o.failures.get()));
      failures.add(with("where", "publish"), double(o.publish_errors.get()));
      gaps.add(l, double(o.gap_records.get()));
      in_flight.add(l, double(o.in_flight.get()));
      acked_offset.add(l, double(o.acked_offset.get()));
      lag.add(l, double(o.lag_records.get()));
      lag_bytes.add(l, double(o.lag_bytes.get()));
      const uint64_t oldest = o.oldest_unacked_ns.get();
      lag_seconds.add(l, oldest == 0 ? 0.0 : std::max(0.0, now - double(oldest) / 1e9));
      last_ack.add(l, double(o.last_ack_ns.get()) / 1e9);
      connected.add(l, double(o.connected.get()));
      uint64_t gone = 0;
      p.retention_holds(i).visit([&](const RetentionHold& h) {
        if (h.name() == name) gone += h.deleted_unread();
      });
      deleted.add(l, double(gone));
    }
  }
  for (Family* f : {&msgs, &recs, &acked, &acked_recs, &dups, &failures, &gaps, &in_flight, &acked_offset, &lag, &lag_bytes,
                    &lag_seconds, &last_ack, &connected, &deleted})
    fam.add(*f);
}

void collect_daemon(const DaemonStatus& s, Families& fam) {
  Family ok("ringest_config_last_reload_successful", "1 if the last configuration reload was applied.",
            MetricType::Gauge);
  ok.add({}, s.last_reload_ok.load() ? 1 : 0);
  Family when("ringest_config_last_reload_success_timestamp_seconds", "When the configuration was last applied.",
              MetricType::Gauge);
  when.add({}, s.last_reload_success_unix.load());
  Family reloads("ringest_config_reloads_total", "Configuration reloads attempted, by result.", MetricType::Counter);
  reloads.add({{"result", "success"}}, double(s.reloads.load() - s.reload_failures.load()));
  reloads.add({{"result", "failure"}}, double(s.reload_failures.load()));
  Family ready("ringest_ready", "1 when listeners are bound, the log is open and the daemon is not draining.",
               MetricType::Gauge);
  ready.add({}, s.ready.load() && !s.draining.load() ? 1 : 0);
  for (Family* f : {&ok, &when, &reloads, &ready}) fam.add(*f);
}

void collect_process(Families& fam) {
  Family build("ringest_build_info", "Build information.", MetricType::Gauge);
  build.add({{"version", RINGEST_VERSION}}, 1);
  fam.add(build);
  ProcessStats ps;
  if (!read_process_stats(ps)) return;
  Family cpu("process_cpu_seconds_total", "User and system CPU time spent.", MetricType::Counter);
  cpu.add({}, ps.cpu_seconds);
  Family rss("process_resident_memory_bytes", "Resident memory size.", MetricType::Gauge);
  rss.add({}, double(ps.resident_bytes));
  Family vsz("process_virtual_memory_bytes", "Virtual memory size.", MetricType::Gauge);
  vsz.add({}, double(ps.virtual_bytes));
  Family fds("process_open_fds", "Open file descriptors.", MetricType::Gauge);
  fds.add({}, double(ps.open_fds));
  Family max_fds("process_max_fds", "Limit of open file descriptors.", MetricType::Gauge);
  max_fds.add({}, double(ps.max_fds));
  Family start("process_start_time_seconds", "Start time since the Unix epoch.", MetricType::Gauge);
  start.add({}, ps.start_time_seconds);
  for (Family* f : {&cpu, &rss, &vsz, &fds, &start}) fam.add(*f);
  if (ps.max_fds > 0) fam.add(max_fds);  // Windows sets no per-process handle limit
  uint64_t udp_errors = 0;
  if (read_host_udp_receive_errors(udp_errors)) {
    Family host("ringest_host_udp_receive_errors_total",
                "UDP datagrams this host's network stack dropped on receive, all sockets together (not only "
                "ringest's). On Windows, which keeps no per-socket drop count, the only sign of datagrams lost "
                "before ringest took them.",
                MetricType::Counter);
    host.add({}, double(udp_errors));
    fam.add(host);
  }
}

}  // namespace

Totals totals(const Pipeline& pipeline) {
  Totals t;
  Families fam;
  pipeline.visit([&](const Pipeline& p) {
    collect_receive(p, fam);
    collect_log(p, fam);
  });
  for (const MetricFamily& f : fam.out) {
    for (const ClientMetric& m : f.metric) {
      if (f.name == "ringest_received_datagrams_total") t.received += uint64_t(m.counter.value);
      if (f.name == "ringest_stored_datagrams_total") t.stored += uint64_t(m.counter.value);
      if (f.name != "ringest_dropped_datagrams_total") continue;
      std::string stage, reason;
      for (const auto& l : m.label) {
        if (l.name == "stage") stage = l.value;
        if (l.name == "reason") reason = l.value;
      }
      if (stage == "kernel") t.kernel_drops_counted = true;
      if (m.counter.value == 0) continue;
      (stage == "kernel" ? t.kernel_dropped : t.dropped) += uint64_t(m.counter.value);
      if (stage == "sink") t.sink_dropped += uint64_t(m.counter.value);
      if (!t.dropped_detail.empty()) t.dropped_detail += ", ";
      t.dropped_detail += stage + "/" + reason + "=" + std::to_string(uint64_t(m.counter.value));
    }
  }
  return t;
}

std::string render_metrics(const Pipeline* pipeline, const DaemonStatus* status) {
  Families fam;
  if (pipeline) {
    pipeline->visit([&](const Pipeline& p) {
      collect_receive(p, fam);
      collect_log(p, fam);
      collect_outputs(p, fam);
    });
  }
  if (status) collect_daemon(*status, fam);
  collect_process(fam);
  return prometheus::TextSerializer().Serialize(fam.out);
}

void DepartedCounters::add(const ListenerRuntime& l, size_t shards) {
  ReceiveFamilies rf;
  rf.add(l, shards, false);
  Families fam;
  rf.take(fam);
  merge_counters(fam.out, families_);
}

}  // namespace ringest
