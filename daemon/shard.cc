#include "daemon/shard.h"

#include "common/clock.h"

namespace ringest {
namespace {
constexpr size_t kBulk = 256;            // refs taken from the queue at once
constexpr int64_t kLingerNs = 2'000'000;  // longest a record waits in an open batch while input flows
}  // namespace

ParserShard::ParserShard(uint32_t /*partition*/, const Settings& settings, std::unique_ptr<PartitionLog> log,
                         HandoffQueue& queue, std::span<const std::unique_ptr<Receiver>> receivers)
    : log_(std::move(log)),
      queue_(queue),
      ctok_(queue),
      receivers_(receivers),
      probes_(new ShardListenerProbe[settings.listeners.size()]) {
  for (const auto& r : receivers_) {
    return_toks_.push_back(std::make_unique<moodycamel::ProducerToken>(r->return_queue()));
    to_return_.emplace_back().reserve(kBulk);
  }
  for (size_t l = 0; l < settings.listeners.size(); ++l) {
    const ListenerSettings& ls = settings.listeners[l];
    parsers_.push_back(make_parser(ls.format, ParserOptions{}));
    keep_raw_.push_back(ls.keep_raw);
    probes_[l].parse_errors.reset(new Counter[parsers_.back()->reasons().size()]);
  }
}

ParserShard::~ParserShard() {
  if (thread_.joinable()) stop_and_join();
}

void ParserShard::start() {
  thread_ = std::thread([this] { run(); });
}

Status ParserShard::stop_and_join() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  return close_status_;
}

void ParserShard::run() {
  DatagramRef refs[kBulk];
  int64_t last_flush = mono_ns();
  for (;;) {
    // Read the stop flag before draining: a ref enqueued before the
    // receivers stopped is then always seen by some dequeue below.
    bool stopping = stop_.load(std::memory_order_acquire);
    size_t n = queue_.wait_dequeue_bulk_timed(ctok_, refs, kBulk, stopping ? 0 : 5000);
    if (n > 0) process(refs, n);
    int64_t now = mono_ns();
    if (n < kBulk && (n == 0 || now - last_flush >= kLingerNs)) {
      log_->flush();
      last_flush = now;
    }
    log_->poll(now);
    if (n == 0 && stopping) {
      // Other shards may hold refs from the same bulk; only an empty queue ends us.
      if (queue_.size_approx() == 0) break;
    }
  }
  close_status_ = log_->close();
}

void ParserShard::process(const DatagramRef* refs, size_t n) {
  for (size_t i = 0; i < n; ++i) parse_one(refs[i]);
  return_slots();
}

void ParserShard::parse_one(const DatagramRef& ref) {
  rio::BufferPool& pool = receivers_[ref.receiver]->engine().pool();
  const rio::SlotMeta& meta = pool.meta(ref.slot);
  origin_.listener = meta.listener;
  origin_.source = meta.source;
  origin_.receive_ns = meta.receive_ns;
  records_in_datagram_ = 0;
  ShardListenerProbe& probe = probes_[meta.listener];
  probe.datagrams.add();
  parsers_[meta.listener]->parse(pool.payload(ref.slot), ParseContext{meta.receive_ns}, *this);
  if (records_in_datagram_ > 0) {
    log_->end_datagram();
  } else {
    probe.parse_dropped.add();
  }
  to_return_[ref.receiver].push_back(ref.slot);
}

void ParserShard::return_slots() {
  for (size_t r = 0; r < to_return_.size(); ++r) {
    if (to_return_[r].empty()) continue;
    receivers_[r]->return_slots(*return_toks_[r], to_return_[r]);
    to_return_[r].clear();
  }
}

void ParserShard::point(const PointView& p) {
  if (log_->append_point(origin_, p)) {
    ++records_in_datagram_;
    probes_[origin_.listener].points.add();
  }
}

void ParserShard::reject(uint16_t reason, uint32_t /*line*/, std::string_view text) {
  ShardListenerProbe& probe = probes_[origin_.listener];
  probe.parse_errors[reason].add();
  if (keep_raw_[origin_.listener] && log_->append_raw(origin_, text)) {
    ++records_in_datagram_;
    probe.raw.add();
  }
}

}  // namespace ringest
