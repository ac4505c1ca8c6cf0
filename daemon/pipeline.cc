#include "daemon/pipeline.h"

#include <spdlog/spdlog.h>

#include <map>
#include <utility>

#include "rio/engine_factory.h"

namespace ringest {
namespace {

rio::EngineOptions engine_options(const ReceiveSettings& r) {
  rio::EngineOptions o;
  o.slot_bytes = r.slot_bytes;
  o.slots = r.slots;
  o.batch = r.batch;
  return o;
}

LogOptions log_options(const StorageSettings& s, uint32_t partition) {
  LogOptions o;
  o.dir = std::filesystem::path(s.dir) / std::to_string(partition);
  o.partition = partition;
  o.segment_bytes = s.segment_bytes;
  o.batch_bytes = s.batch_bytes;
  o.writes_in_flight = s.writes_in_flight;
  o.durability = s.durability;
  o.sync_interval_ms = s.sync_interval_ms;
  return o;
}

}  // namespace

std::unique_ptr<Pipeline> Pipeline::start(const Settings& settings, Failure& failure) {
  std::unique_ptr<Pipeline> p(new Pipeline(settings));
  const Settings& s = p->settings_;

  // Engines: socket k of every listener that asks for the same engine kind
  // shares receiver k of that kind, so threads scale with `sockets`, not
  // with the number of listeners.
  std::map<std::pair<std::string, uint32_t>, uint16_t> receiver_of;
  std::vector<std::unique_ptr<rio::Engine>> engines;
  for (size_t l = 0; l < s.listeners.size(); ++l) {
    const ListenerSettings& ls = s.listeners[l];
    rio::EngineKind kind = rio::EngineKind::kAuto;
    rio::parse_engine_kind(ls.engine, kind);
    for (uint32_t k = 0; k < ls.sockets; ++k) {
      auto key = std::make_pair(ls.engine, k);
      auto it = receiver_of.find(key);
      if (it == receiver_of.end()) {
        rio::EngineChoice choice = rio::make_engine(kind, engine_options(s.receive));
        if (!choice.engine) {
          failure = {Failure::kEngine, "listener '" + ls.name + "': " + choice.reason};
          return nullptr;
        }
        spdlog::info("receiver {}: engine {} ({})", engines.size(), rio::to_string(choice.engine->kind()),
                     choice.reason);
        it = receiver_of.emplace(key, static_cast<uint16_t>(engines.size())).first;
        engines.push_back(std::move(choice.engine));
      }
      rio::Engine& e = *engines[it->second];
      BoundListenerSocket b{l, it->second, static_cast<uint16_t>(e.sockets().size()), {}};
      std::string address = ls.address;
      // Further sockets of a listener join the port the first one got.
      if (k > 0) address = address.substr(0, address.rfind(':') + 1) + std::to_string(p->port(l));
      // SO_REUSEPORT only where a listener has several sockets: with one, a
      // second daemon on the same port is refused rather than handed half the traffic.
      Status st = e.add_socket({address, static_cast<uint16_t>(l), ls.rcvbuf_bytes, ls.sockets > 1}, b.bound);
      if (!st) {
        failure = {Failure::kSocket, "listener '" + ls.name + "': " + st.message()};
        return nullptr;
      }
      if (b.bound.rcvbuf_capped && k == 0)
        spdlog::warn("listener '{}': asked for a {} byte receive buffer, the OS granted {} (raise net.core.rmem_max)",
                     ls.name, ls.rcvbuf_bytes, b.bound.rcvbuf_granted / 2);
      p->sockets_.push_back(b);
    }
  }

  uint32_t max_slots = 0;
  for (auto& e : engines) max_slots = std::max(max_slots, e->pool().slots());
  p->queue_ = std::make_unique<HandoffQueue>(max_slots, engines.size(), 0);
  for (size_t i = 0; i < engines.size(); ++i)
    p->receivers_.push_back(
        std::make_unique<Receiver>(static_cast<uint16_t>(i), std::move(engines[i]), *p->queue_, s.listeners.size()));

  for (uint32_t part = 0; part < s.parser_threads; ++part) {
    RecoveryReport report;
    Status st;
    auto log = PartitionLog::open(log_options(s.storage, part), report, st);
    if (!log) {
      failure = {Failure::kStorage, "storage: " + st.message()};
      return nullptr;
    }
    if (report.truncated_bytes > 0 || !report.detail.empty())
      spdlog::warn("partition {}: recovery: {}", part, report.detail);
    spdlog::info("partition {}: {} segment(s), next offset {}", part, report.segments, report.next_offset);
    p->shards_.push_back(std::make_unique<ParserShard>(part, s, std::move(log), *p->queue_, p->receivers_));
  }

  for (auto& shard : p->shards_) shard->start();
  for (auto& r : p->receivers_) {
    if (Status st = r->start(); !st) {
      failure = {Failure::kEngine, "engine start: " + st.message()};
      p->stop(0);
      return nullptr;
    }
  }
  for (size_t l = 0; l < s.listeners.size(); ++l)
    spdlog::info("listener '{}': {} on {} ({} socket(s)), port {}", s.listeners[l].name, s.listeners[l].format,
                 s.listeners[l].address, s.listeners[l].sockets, p->port(l));
  return p;
}

Pipeline::~Pipeline() { stop(0); }

uint16_t Pipeline::port(size_t l) const {
  for (const auto& b : sockets_)
    if (b.listener == l) return b.bound.port;
  return 0;
}

Status Pipeline::stop(int drain_ms) {
  if (stopped_) return {};
  stopped_ = true;
  // Receivers first: once they have ended, nothing new enters the queue, and
  // the shards can finish what is in it.
  for (auto& r : receivers_) r->stop_and_join(drain_ms);
  Status result;
  for (auto& shard : shards_) {
    Status st = shard->stop_and_join();
    if (!st && result) result = st;
  }
  return result;
}

}  // namespace ringest
