#include "daemon/shard.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "common/prefetch.h"
#include "daemon/source_filter.h"
#include "daemon/thread_name.h"

namespace ringest {
namespace {
constexpr size_t kBulk = 16;  // harvests taken from the queue at once
constexpr int64_t kRejectLogIntervalNs = 10'000'000'000;

// The kernel wrote the next datagram on the receiver's core: ask for its
// metadata and first bytes while this one is parsed, instead of stalling on
// them after (a slot starts a new page, where the hardware prefetcher does
// not look ahead).
void prefetch_slot(rio::BufferPool& pool, uint32_t slot) {
  prefetch(&pool.meta(slot));
  const uint8_t* p = pool.slot(slot);
  for (int line = 0; line < 4; ++line) prefetch(p + 64 * line);
}
}  // namespace

ParserShard::ParserShard(uint32_t index, std::unique_ptr<PartitionLog> log, HandoffQueue& queue,
                         const ListenerTable& listeners, const ReceiverTable& receivers)
    : index_(index),
      log_(std::move(log)),
      queue_(queue),
      ctok_(queue),
      listeners_(listeners),
      receivers_(receivers),
      to_return_(ReceiverTable::kMax),
      health_(index) {
  touched_.reserve(64);
  log_->set_observer(this);
}

ParserShard::~ParserShard() {
  if (thread_.joinable()) stop_and_join();
}

void ParserShard::start() {
  thread_ = std::thread([this] {
    name_this_thread("ringest-shard" + std::to_string(index_));
    run();
  });
}

void ParserShard::request_stop() {
  stop_.store(true, std::memory_order_release);
  queue_.wake_reserves();
}

Status ParserShard::join() {
  if (thread_.joinable()) thread_.join();
  return close_status_;
}

Status ParserShard::stop_and_join() {
  request_stop();
  queue_.enqueue(kWakeHarvest);
  return join();
}

void ParserShard::run() {
  if (index_ == 0)
    take_from_queue();
  else
    take_as_reserve();
  close_status_ = log_->close();
  health_.check(mono_ns(), log_->probe(), [this] { return log_->last_write_error(); });
  finished_.store(true, std::memory_order_release);
}

// The first shard waits on the queue: each harvest wakes it.
void ParserShard::take_from_queue() {
  Harvest harvests[kBulk];
  for (;;) {
    // Read the stop flag before draining: a ref enqueued before the
    // receivers stopped is then always seen by some dequeue below.
    bool stopping = stop_.load(std::memory_order_acquire);
    // Asleep until input arrives or the log or the latency sampler has a
    // deadline: an idle shard does not wake.
    int64_t now = mono_ns();
    int64_t until = next_deadline(now);
    int64_t wait_us = stopping ? 0 : until == INT64_MAX ? -1 : std::max<int64_t>(0, (until - now + 999) / 1000);
    heartbeat_.expect_by(stopping ? now : until);
    size_t n = queue_.wait_dequeue_bulk_timed(ctok_, harvests, kBulk, wait_us);
    heartbeat_.expect_by(mono_ns());  // busy: back in the wait soon
    if (n > 0) process(harvests, n);
    tend(mono_ns());
    // Other shards may hold refs from the same bulk; only an empty queue ends us.
    if (n == 0 && stopping && queue_.size_approx() == 0) break;
  }
}

// A reserve sleeps outside the queue until harvests back up (HandoffQueue),
// then takes from it, without waiting, until it finds it empty.
void ParserShard::take_as_reserve() {
  Harvest harvests[kBulk];
  for (;;) {
    bool stopping = stop_.load(std::memory_order_acquire);
    heartbeat_.expect_by(mono_ns());
    size_t n = queue_.try_dequeue_bulk(ctok_, harvests, kBulk);
    if (n > 0) process(harvests, n);
    int64_t now = mono_ns();
    tend(now);
    if (n > 0) continue;
    if (stopping) break;  // and the queue empty: the receivers have stopped
    int64_t until = next_deadline(now);
    heartbeat_.expect_by(until);
    queue_.wait_for_backlog(until == INT64_MAX ? -1 : std::max<int64_t>(0, until - now), stop_);
  }
}

int64_t ParserShard::next_deadline(int64_t now) const {
  return std::min({log_->next_deadline(now), latency_.next_deadline(), health_.next_deadline()});
}

void ParserShard::tend(int64_t now) {
  log_->poll(now);
  health_.check(now, log_->probe(), [this] { return log_->last_write_error(); });
  latency_.tick(now, wall_ns(), log_->probe().next_offset.get(), log_->probe().durable_offset.get());
}

void ParserShard::process(const Harvest* harvests, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const Harvest& h = harvests[i];
    if (h.receiver == kWakeReceiver) continue;
    Receiver* receiver = receivers_.get(h.receiver);
    if (to_return_[h.receiver].empty()) touched_.push_back(h.receiver);
    rio::BufferPool& pool = receiver->engine().pool();
    for (uint16_t j = 0; j < h.count; ++j) {
      if (j + 1 < h.count) prefetch_slot(pool, h.slots[j + 1]);
      parse_one(pool, h.slots[j]);
    }
    to_return_[h.receiver].insert(to_return_[h.receiver].end(), h.slots, h.slots + h.count);
    queue_.datagrams.fetch_sub(h.count, std::memory_order_relaxed);
    taken_.add(h.count);
  }
  return_slots();
}

void ParserShard::parse_one(rio::BufferPool& pool, uint32_t slot) {
  const rio::SlotMeta& meta = pool.meta(slot);

  listener_ = listeners_.get(meta.listener);
  probe_ = &listener_->probes[index_];
  probe_->datagrams.add();
  const ListenerSettings& ls = listener_->settings;
  if (meta.length > ls.max_datagram_bytes) {
    probe_->too_large.add();
    return;
  }
  if (!listener_->allow.empty() && !listener_->allow.contains(meta.source)) {
    probe_->filtered.add();
    return;
  }
  origin_.listener = listener_->stored_id;
  origin_.source = meta.source;
  origin_.receive_ns = meta.receive_ns;
  records_in_datagram_ = 0;
  listener_->parsers[index_]->parse(pool.payload(slot), ParseContext{meta.receive_ns}, *this);
  if (records_in_datagram_ > 0) {
    log_->end_datagram(meta.listener);
    latency_.appended(meta.receive_ns);
  } else {
    probe_->parse_dropped.add();
  }
}

void ParserShard::return_slots() {
  for (uint16_t r : touched_) {
    receivers_.get(r)->return_slots(to_return_[r]);
    to_return_[r].clear();
  }
  touched_.clear();
}

void ParserShard::point(const PointView& p) {
  if (log_->append_point(origin_, p)) {
    ++records_in_datagram_;
    probe_->points.add();
  }
}

void ParserShard::metric(const MetricView& m) { metrics(std::span<const MetricView>(&m, 1)); }

void ParserShard::metrics(std::span<const MetricView> ms) {
  const size_t stored = log_->append_metrics(origin_, ms);
  records_in_datagram_ += static_cast<uint32_t>(stored);
  probe_->points.add(stored);
}

void ParserShard::skipped(uint16_t what) { probe_->skipped[what].add(); }

void ParserShard::settled(uint16_t slot, uint32_t datagrams, Settled how) {
  // The listener's state stays published until all its datagrams settled
  // (ListenerState::settled), so it is there.
  ListenerState* l = listeners_.get(slot);
  if (l == nullptr) return;
  ShardListenerProbe& p = l->probes[index_];
  (how == Settled::kStored ? p.stored : how == Settled::kDiskFull ? p.dropped_disk_full : p.dropped_sink_error)
      .add(datagrams);
}

void ParserShard::reject(uint16_t reason, uint32_t line, std::string_view text) {
  probe_->parse_errors[reason].add();
  ++rejected_unlogged_;
  // One log line per interval at most, however hard a sender floods bad
  // lines; the counters have every one.
  if (int64_t now = mono_ns(); now >= next_reject_log_ns_) {
    constexpr size_t kShown = 120;
    std::string shown;
    for (char c : text.substr(0, kShown)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';  // untrusted bytes
    spdlog::warn("listener '{}': {} line(s) rejected since the last report; latest: {} at line {}: \"{}{}\"",
                 listener_->settings.name, rejected_unlogged_, listener_->reasons()[reason], line, shown,
                 text.size() > kShown ? "..." : "");
    rejected_unlogged_ = 0;
    next_reject_log_ns_ = now + kRejectLogIntervalNs;
  }
  if (listener_->settings.keep_raw && log_->append_raw(origin_, text)) {
    ++records_in_datagram_;
    probe_->raw.add();
  }
}

}  // namespace ringest
