// Pipeline: the whole path of DESIGN.md wired from Settings — receivers
// (engines and their threads), the handoff queue, parser shards and their log
// partitions — with an orderly start, live listener changes on reload, and a
// draining stop.
//
// Threading: start(), reload() and stop() are called from one control
// thread. visit() may be called from any thread (metrics scrapes); it holds
// the structure lock so a reload cannot free what it reads.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/handoff.h"
#include "daemon/listener_state.h"
#include "daemon/metrics.h"
#include "daemon/receiver.h"
#include "daemon/settings.h"
#include "daemon/shard.h"
#include "outputs/output.h"
#include "sinks/listener_catalog.h"

namespace ringest {

// A listener that is running: its state and its receivers (one per socket).
struct ListenerRuntime {
  std::unique_ptr<ListenerState> state;
  std::vector<std::unique_ptr<Receiver>> receivers;
  std::vector<rio::BoundSocket> bound;  // [receiver]
};

class Pipeline {
 public:
  // Why start() failed: one line, and its kind (the exit code maps from it).
  struct Failure {
    enum Kind { kNone, kSocket, kStorage, kEngine, kOutput } kind = kNone;
    std::string message;
  };
  // Opens the log partitions, binds every listener socket, starts receivers
  // and shards. On failure nothing is left running and `failure` says why.
  static std::unique_ptr<Pipeline> start(const Settings& settings, Failure& failure);
  ~Pipeline();

  // Applies a newly loaded configuration: listeners that are new start,
  // listeners that are gone drain and stop, listeners whose settings changed
  // are replaced — the new one bound before the old one is retired, so a
  // listener whose new socket can't be bound keeps running as it was (on the
  // same address, the old one drains first and is started again if the new
  // one still fails). Listeners that did not change are not touched. Settings
  // only a restart can apply are left as they are and named in
  // `restart_needed`. Returns an error (one line) if a listener could not be
  // started, or if the configuration has no listener while some run (then
  // nothing changes); the others are applied.
  Status reload(const Settings& loaded, std::vector<std::string>& restart_needed);

  // Stops receiving, drains the sockets (for at most drain_ms), parses and
  // writes everything taken in, syncs the log and stops the threads.
  Status stop(int drain_ms = 2000);

  // Runs f(*this) with the structure lock held.
  template <class F>
  void visit(F&& f) const {
    std::lock_guard lock(mu_);
    f(*this);
  }
  // These are for use inside visit() (or from the control thread).
  const Settings& settings() const { return settings_; }
  const std::vector<std::unique_ptr<ListenerRuntime>>& listeners() const { return active_; }
  // Stopped by a reload, some of their slots still out.
  const std::vector<std::unique_ptr<ListenerRuntime>>& retired_listeners() const { return retired_; }
  // Stopped by a reload and gone: their counters.
  const DepartedCounters& departed_counters() const { return departed_; }
  const std::vector<std::unique_ptr<ParserShard>>& shards() const { return shards_; }
  const std::vector<std::unique_ptr<Output>>& outputs() const { return outputs_; }
  // [partition]: what readers outside the log (outputs) still need of it.
  const RetentionHolds& retention_holds(size_t partition) const { return *holds_[partition]; }
  // Empty while every partition can write; else which cannot, and why
  // ("partition 0: disk full"). Any thread.
  std::string write_blocked() const;
  // For the service watchdog (the control thread alone calls it): "" while
  // every stage makes progress or is idle with nothing queued for it, else
  // what is stuck — a receiver that has not come back from a poll, a parser
  // shard busy and not back, a partition whose disk owes a completion, or
  // datagrams queued that no shard takes — for longer than `limit_ns`.
  std::string stalled(int64_t now_mono_ns, int64_t limit_ns);
  size_t queue_depth() const { return static_cast<size_t>(std::max<int64_t>(0, queue_->datagrams.load())); }
  // The port the listener named `name` is bound to (0 if none).
  uint16_t port(const std::string& name) const;
  uint16_t port(size_t position) const;
  bool draining() const { return draining_.load(std::memory_order_acquire); }

 private:
  explicit Pipeline(const Settings& s) : settings_(s) {}
  // With `take_over`, a running listener on the same port: the new one shares
  // its sockets and, once they are bound, retires it (handed over, not drained).
  std::unique_ptr<ListenerRuntime> start_listener(const ListenerSettings& ls, Failure& failure,
                                                  ListenerRuntime* take_over = nullptr);
  // Stops `l`'s receivers — the first `handed_over` by hand-over, the rest
  // drained for up to drain_ms — and keeps it until its slots are back.
  void retire(std::unique_ptr<ListenerRuntime> l, int drain_ms, size_t handed_over = 0);
  void reap_retired();
  // Makes and starts every [[output]] over the open partitions.
  bool start_outputs(Failure& failure);
  // Removes `l` from the active listeners and hands it over.
  std::unique_ptr<ListenerRuntime> take_active(ListenerRuntime* l);

  mutable std::mutex mu_;
  Settings settings_;
  std::unique_ptr<HandoffQueue> queue_;
  ListenerTable listener_table_;
  ReceiverTable receiver_table_;
  ListenerCatalog catalog_;  // the stable id each listener's records carry
  // Ids and receiver indices are never reused within a process.
  uint16_t next_listener_id_ = 0;
  uint16_t next_receiver_ = 0;
  std::vector<std::unique_ptr<ListenerRuntime>> active_;
  std::vector<std::unique_ptr<ListenerRuntime>> retired_;  // stopped, slots not all back yet
  DepartedCounters departed_;
  std::vector<std::unique_ptr<RetentionHolds>> holds_;  // [partition]; outlive the logs and outputs
  std::vector<std::unique_ptr<ParserShard>> shards_;
  // Forward what the log made durable; started after the log, stopped after it.
  std::vector<std::unique_ptr<Output>> outputs_;
  // stalled()'s view of the handoff queue: shards' takes when last seen
  // moving, and since when the queue has waited without one.
  uint64_t watch_taken_ = 0;
  int64_t watch_since_ = 0;
  std::atomic<bool> draining_{false};
  bool stopped_ = false;
};

}  // namespace ringest
