#include "daemon/receiver.h"

#include <algorithm>
#include <cstring>
#include <future>

#include "common/clock.h"
#include "daemon/thread_name.h"

namespace ringest {

Receiver::Receiver(uint16_t index, std::unique_ptr<rio::Engine> engine, HandoffQueue& queue)
    : index_(index),
      engine_(std::move(engine)),
      queue_(queue),
      ptok_(queue),
      returns_(engine_->pool().slots()),
      return_ctok_(returns_) {
  harvests_.reserve(engine_->pool().slots() / Harvest::kSlots + 1);
  returned_.resize(1024);
}

Receiver::~Receiver() {
  if (thread_.joinable()) stop_and_join(0);
}

Status Receiver::start() {
  std::promise<Status> started;
  auto ready = started.get_future();
  thread_ = std::thread([this, &started] {
    Status st = engine_->start();
    bool ok = st.ok();
    started.set_value(std::move(st));
    if (ok) run();
  });
  Status st = ready.get();
  if (!st) thread_.join();
  return st;
}

void Receiver::stop_and_join(int drain_ms) {
  drain_ms_ = drain_ms;
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void Receiver::hand_over_and_join() {
  hand_over_ = true;
  stop_and_join(0);
}

void Receiver::return_slots(std::span<const uint32_t> slots) {
  // Never refused: enqueue may allocate a block, and the total is bounded by
  // the pool. Shards use the queue's implicit per-thread producers, so no
  // token outlives a receiver that a reload retired.
  returns_.enqueue_bulk(slots.data(), slots.size());
}

bool Receiver::reclaim() {
  take_back_returned();
  return engine_->probe().slots_in_use.get() == 0;
}

void Receiver::take_back_returned() {
  for (;;) {
    size_t n = returns_.try_dequeue_bulk(return_ctok_, returned_.data(), returned_.size());
    if (n == 0) return;
    engine_->release({returned_.data(), n});
  }
}

void Receiver::run() {
  name_this_thread("ringest-rx" + std::to_string(index_));
  while (!stop_.load(std::memory_order_acquire)) {
    heartbeat_.expect_by(mono_ns() + int64_t{kPollMs} * 1'000'000);
    take_back_returned();
    engine_->poll(*this, kPollMs);
  }
  heartbeat_.expect_by(INT64_MAX);  // draining, then gone: the pipeline no longer waits on it
  if (hand_over_) {
    engine_->hand_over(*this);
    take_back_returned();
    return;
  }
  // Drain: what reached the sockets before the stop is taken in and handed
  // on, until the sockets are empty or the deadline passes.
  const int64_t deadline = mono_ns() + int64_t{drain_ms_} * 1'000'000;
  while (mono_ns() < deadline) {
    take_back_returned();
    uint32_t n = engine_->poll(*this, 10);
    if (n == 0 && engine_->sockets_empty()) break;
  }
  engine_->discard_and_close();
  take_back_returned();
}

void Receiver::on_datagrams(std::span<const uint32_t> slots) {
  harvests_.clear();
  for (size_t i = 0; i < slots.size(); i += Harvest::kSlots) {
    Harvest& h = harvests_.emplace_back();
    h.receiver = index_;
    h.count = static_cast<uint16_t>(std::min<size_t>(Harvest::kSlots, slots.size() - i));
    std::memcpy(h.slots, slots.data() + i, h.count * sizeof(uint32_t));
  }
  size_t bucket = 0;
  while (bucket + 1 < kBatchBuckets && (size_t{1} << bucket) < slots.size()) ++bucket;
  batch_hist_[bucket].add();
  batch_sum_.add(slots.size());
  // The queue holds at most what the pools have slots, so enqueue allocates
  // only up to that bound; if even that fails, the datagrams are dropped
  // here, counted, never waited on.
  const auto n = static_cast<int64_t>(slots.size());
  queue_.datagrams.fetch_add(n, std::memory_order_relaxed);
  if (queue_.enqueue_bulk(ptok_, harvests_.data(), harvests_.size())) {
    queue_.enqueued();
    return;
  }
  queue_.datagrams.fetch_sub(n, std::memory_order_relaxed);
  queue_full_.add(slots.size());
  engine_->release(slots);
}

}  // namespace ringest
