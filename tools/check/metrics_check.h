// Zero-loss reconciliation against a running ringestd: scrape /metrics before
// and after sending, wait for the daemon to settle, and account for every
// datagram sent as stored or dropped (by stage and reason). Whatever is left
// is unaccounted — the number that must be 0.
//
// The check reads counter deltas, so it assumes nothing else sends to the
// daemon during the run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "common/status.h"

namespace ringest::check {

struct Snapshot {
  double received = 0;                    // ringest_received_datagrams_total
  double stored = 0;                      // ringest_stored_datagrams_total
  double queue_depth = 0;                 // ringest_queue_depth
  std::map<std::string, double> dropped;  // "stage/reason" → ringest_dropped_datagrams_total
  double dropped_total() const;
  double dropped_in(const std::string& stage) const;
};

// Parses Prometheus text exposition into a Snapshot (summing over listeners).
Snapshot parse_metrics(const std::string& text);

// GET `url` (http://host:port/path; numeric host or a name) with a timeout.
Status scrape(const std::string& url, Snapshot& out);

// Scrapes until the daemon has seen `sent` more datagrams than `before`
// (received or dropped by the kernel), its queue is empty and two scrapes
// in a row agree, or nothing has changed for 2 s (datagrams lost before the
// daemon never arrive), or `timeout_s` passes; `after` is the last scrape.
Status scrape_settled(const std::string& url, const Snapshot& before, uint64_t sent, double timeout_s,
                      Snapshot& after);

struct Reconciliation {
  uint64_t sent = 0;
  double received = 0, stored = 0;
  std::map<std::string, double> dropped;  // non-zero deltas only
  double unaccounted = 0;                 // sent − stored − Σ dropped
  bool ok() const { return unaccounted == 0; }
};

Reconciliation reconcile(uint64_t sent, const Snapshot& before, const Snapshot& after);

// The human-readable table and a verdict line ("verdict: OK — every datagram accounted for").
void print(std::FILE* out, const Reconciliation& r);

// Everything together for a tool's --check-metrics: returns the process exit
// code contribution (0 when reconciled, 3 when unaccounted ≠ 0, 4 when the
// daemon could not be scraped).
int check_after_send(const std::string& url, const Snapshot& before, uint64_t sent, std::FILE* out);

}  // namespace ringest::check
