#include "daemon/receiver.h"

#include <future>

#include "common/clock.h"

namespace ringest {

Receiver::Receiver(uint16_t index, std::unique_ptr<rio::Engine> engine, HandoffQueue& queue, size_t listeners)
    : index_(index),
      engine_(std::move(engine)),
      queue_(queue),
      ptok_(queue),
      returns_(engine_->pool().slots()),
      return_ctok_(returns_),
      queue_full_(new Counter[listeners]) {
  refs_.reserve(engine_->pool().slots());
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

void Receiver::return_slots(moodycamel::ProducerToken& tok, std::span<const uint32_t> slots) {
  // Never refused: enqueue may allocate a block, and the total is bounded by the pool.
  returns_.enqueue_bulk(tok, slots.data(), slots.size());
}

void Receiver::take_back_returned() {
  for (;;) {
    size_t n = returns_.try_dequeue_bulk(return_ctok_, returned_.data(), returned_.size());
    if (n == 0) return;
    engine_->release({returned_.data(), n});
  }
}

void Receiver::run() {
  while (!stop_.load(std::memory_order_acquire)) {
    take_back_returned();
    engine_->poll(*this, 100);
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
  refs_.clear();
  for (uint32_t s : slots) refs_.push_back({s, index_});
  if (queue_.try_enqueue_bulk(ptok_, refs_.data(), refs_.size())) return;
  // The queue is sized so this cannot happen while slots are bounded by the
  // pool; if it does, the datagrams are dropped here, counted, never waited on.
  for (uint32_t s : slots) queue_full_[engine_->pool().meta(s).listener].add();
  engine_->release(slots);
}

}  // namespace ringest
