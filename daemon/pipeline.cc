#include "daemon/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>
#include <utility>

#include "common/clock.h"
#include "common/socket_address.h"
#include "daemon/config.h"
#include "rio/engine_factory.h"
#include "sinks/segment_reader.h"

namespace ringest {
namespace {

constexpr int kReloadDrainMs = 1000;
constexpr int kOutputStopMs = 2000;
// While a stop waits for a shard: how often it looks (and wakes shard 0),
// and how often it says what it waits for.
constexpr int kStopPollMs = 20;
constexpr int64_t kStopReportNs = 5'000'000'000;

rio::EngineOptions engine_options(const ReceiveSettings& r) {
  rio::EngineOptions o;
  o.slot_bytes = r.slot_bytes;
  o.slots = r.slots;
  o.batch = r.batch;
  return o;
}

rio::StreamOptions stream_options(const ListenerSettings& l) {
  rio::StreamOptions o;
  const bool syslog = l.format == "syslog" || l.format == "rfc5424" || l.format == "rfc3164";
  o.framing = syslog ? rio::Framing::kSyslog : rio::Framing::kLines;
  o.max_connections = l.max_connections;
  o.idle_timeout_ms = l.idle_timeout_ms;
  o.max_line_bytes = l.max_line_bytes;
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
  o.linger_ms = s.linger_ms;
  o.segment_ms = s.segment_ms;
  o.retention_bytes = s.retention_bytes;
  o.retention_ms = s.retention_ms;
  parse_compression(s.compression, o.compression);  // the table checked the name
  o.preallocate = s.preallocate;
  o.direct_io = s.direct_io;
  return o;
}

// The data directory's listener catalog, created (with the directory) if new.
Status open_catalog(const std::filesystem::path& dir, ListenerCatalog& catalog) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::invalid("cannot create " + dir.string() + ": " + ec.message());
  std::vector<PartitionDir> parts;
  bool has_segments = false;
  if (list_partitions(dir, parts).ok())
    for (const PartitionDir& pd : parts) has_segments = has_segments || !pd.segments.empty();
  std::vector<std::string> damage;
  Status st = ListenerCatalog::open(dir, has_segments, catalog, &damage);
  for (const std::string& d : damage) spdlog::warn("listener catalog: {}", d);
  return st;
}

}  // namespace

std::unique_ptr<Pipeline> Pipeline::start(const Settings& settings, Failure& failure) {
  std::unique_ptr<Pipeline> p(new Pipeline(settings));
  const Settings& s = p->settings_;
  size_t sockets = 0;
  for (const ListenerSettings& ls : s.listeners) sockets += ls.sockets;
  // Room for a harvest per 8 slots up front (a harvest is 248 bytes); the
  // queue grows towards one per slot only if harvests are that small.
  p->queue_ = std::make_unique<HandoffQueue>(std::max<size_t>(256, s.receive.slots / 8), sockets + 4, 0);

  if (Status st = open_catalog(s.storage.dir, p->catalog_); !st.ok()) {
    failure = {Failure::kStorage, "storage: " + st.message()};
    return nullptr;
  }
  for (uint32_t part = 0; part < s.parser_threads; ++part) {
    RecoveryReport report;
    Status st;
    LogOptions lo = log_options(s.storage, part);
    lo.holds = p->holds_.emplace_back(std::make_unique<RetentionHolds>()).get();
    auto log = PartitionLog::open(lo, report, st);
    if (!log) {
      failure = {Failure::kStorage, "storage: " + st.message()};
      p->stopped_ = true;
      return nullptr;
    }
    if (report.truncated_bytes > 0 || !report.detail.empty())
      spdlog::warn("partition {}: recovery: {}", part, report.detail);
    spdlog::info("partition {}: {} segment(s), next offset {}; writes through {}", part, report.segments,
                 report.next_offset, log->write_path());
    p->shards_.push_back(
        std::make_unique<ParserShard>(part, std::move(log), *p->queue_, p->listener_table_, p->receiver_table_));
  }
  for (auto& shard : p->shards_) shard->start();
  if (!p->start_outputs(failure)) {
    p->stop(0);
    return nullptr;
  }

  for (const ListenerSettings& ls : s.listeners) {
    auto l = p->start_listener(ls, failure);
    if (!l) {
      p->stop(0);
      return nullptr;
    }
    p->active_.push_back(std::move(l));
  }
  return p;
}

Pipeline::~Pipeline() { stop(0); }

bool Pipeline::start_outputs(Failure& failure) {
  for (const OutputSettings& os : settings_.outputs) {
    std::vector<PartitionSource> parts;
    for (size_t i = 0; i < shards_.size(); ++i) {
      parts.push_back({static_cast<uint32_t>(i), std::filesystem::path(settings_.storage.dir) / std::to_string(i),
                       &shards_[i]->log_probe(), holds_[i]->add(os.name, os.retention_overrides_forwarding)});
    }
    std::string error;
    auto out = make_output(os, std::move(parts), std::filesystem::path(settings_.storage.dir) / "outputs", error);
    if (!out) {
      failure = {Failure::kOutput, "output '" + os.name + "': " + error};
      return false;
    }
    if (Status st = out->start(); !st) {
      failure = {Failure::kOutput, st.message()};
      return false;
    }
    outputs_.push_back(std::move(out));
  }
  return true;
}

std::unique_ptr<ListenerRuntime> Pipeline::start_listener(const ListenerSettings& ls, Failure& failure,
                                                          ListenerRuntime* take_over) {
  if (next_listener_id_ == ListenerTable::kMax || next_receiver_ + ls.sockets > ReceiverTable::kMax) {
    failure = {Failure::kEngine, "listener '" + ls.name + "': too many listeners started in this process"};
    return nullptr;
  }
  rio::EngineKind kind = rio::EngineKind::kAuto;
  rio::parse_engine_kind(ls.engine, kind);
  uint16_t stored_id = 0;
  if (Status st = catalog_.id_for(ls.name, ls.format, stored_id); !st.ok()) {
    failure = {Failure::kStorage, "listener '" + ls.name + "': listener catalog: " + st.message()};
    return nullptr;
  }
  auto l = std::make_unique<ListenerRuntime>();
  l->state = std::make_unique<ListenerState>(next_listener_id_, stored_id, ls, shards_.size());
  uint16_t port = 0;
  std::vector<std::unique_ptr<rio::Engine>> engines;
  for (uint32_t k = 0; k < ls.sockets; ++k) {
    rio::EngineChoice choice = ls.transport == "tcp"
                                   ? rio::make_stream_engine(kind, engine_options(settings_.receive), stream_options(ls))
                                   : rio::make_engine(kind, engine_options(settings_.receive));
    if (!choice.engine) {
      failure = {Failure::kEngine, "listener '" + ls.name + "': " + choice.reason};
      return nullptr;
    }
    if (k == 0) spdlog::info("listener '{}': engine {} ({})", ls.name, rio::to_string(choice.engine->kind()), choice.reason);
    // Further sockets of a listener join the port the first one got.
    std::string address = ls.address;
    if (k > 0) address = address.substr(0, address.rfind(':') + 1) + std::to_string(port);
    // SO_REUSEPORT only where a listener has several sockets: with one, a
    // second daemon on the same port is refused rather than handed half the traffic.
    rio::SocketSpec spec{address, l->state->id, ls.rcvbuf_bytes, ls.sockets > 1};
    spec.unix_mode = static_cast<uint32_t>(std::stoul(ls.socket_mode, nullptr, 8));  // the config checked it
    spec.unix_group = ls.socket_group;
    if (take_over != nullptr && k < take_over->receivers.size()) {
      const rio::Engine& from = take_over->receivers[k]->engine();
      spec.take_over = from.socket_handle(0);
      spec.taken_from = &from.sockets()[0];
    }
    rio::BoundSocket bound;
    Status st = choice.engine->add_socket(spec, bound);
    if (!st) {
      failure = {Failure::kSocket, "listener '" + ls.name + "': " + st.message()};
      return nullptr;
    }
    if (k == 0 && bound.rcvbuf_capped)
      spdlog::warn("listener '{}': asked for a {} byte receive buffer, the OS granted {} (raise net.core.rmem_max)",
                   ls.name, ls.rcvbuf_bytes, bound.rcvbuf_granted);
    port = bound.port;
    l->bound.push_back(bound);
    engines.push_back(std::move(choice.engine));
  }
  // The running listener stops reading the sockets now shared; they stay
  // open, and what they hold waits for the new receivers.
  if (take_over != nullptr) retire(take_active(take_over), kReloadDrainMs, ls.sockets);
  // Publish the listener before any datagram of it can reach a shard.
  listener_table_.set(l->state->id, l->state.get());
  ++next_listener_id_;
  for (auto& e : engines) {
    auto r = std::make_unique<Receiver>(next_receiver_, std::move(e), *queue_);
    receiver_table_.set(next_receiver_++, r.get());
    if (Status st = r->start(); !st) {
      failure = {Failure::kEngine, "listener '" + ls.name + "': engine start: " + st.message()};
      l->receivers.push_back(std::move(r));
      retire(std::move(l), 0);
      return nullptr;
    }
    l->receivers.push_back(std::move(r));
  }
  if (std::string path; unix_socket_path(ls.address, path)) {
    spdlog::info("listener '{}': {} on {} (mode {}{}{})", ls.name, ls.format, ls.address, ls.socket_mode,
                 ls.socket_group.empty() ? "" : ", group ", ls.socket_group);
  } else {
    spdlog::info("listener '{}': {} on {} ({} socket(s)), port {}", ls.name, ls.format, ls.address, ls.sockets, port);
  }
  return l;
}

void Pipeline::retire(std::unique_ptr<ListenerRuntime> l, int drain_ms, size_t handed_over) {
  for (size_t k = 0; k < l->receivers.size(); ++k) {
    if (k < handed_over)
      l->receivers[k]->hand_over_and_join();
    else
      l->receivers[k]->stop_and_join(drain_ms);
  }
  std::lock_guard lock(mu_);
  retired_.push_back(std::move(l));
}

void Pipeline::reap_retired() {
  // A retired listener goes once every slot it handed out came back (then no
  // ref to its receivers or id is left in the queue or in a shard) and every
  // datagram of it in the log's batches was settled.
  for (auto it = retired_.begin(); it != retired_.end();) {
    bool done = true;
    for (auto& r : (*it)->receivers) done = r->reclaim() && done;
    // And once the log settled every datagram it took: a shard looks the
    // listener up to count them stored or dropped.
    done = done && (*it)->state->settled(shards_.size());
    if (!done) {
      ++it;
      continue;
    }
    departed_.add(**it, shards_.size());
    for (auto& r : (*it)->receivers) receiver_table_.set(r->index(), nullptr);
    listener_table_.set((*it)->state->id, nullptr);
    it = retired_.erase(it);
  }
}

namespace {

// Whether the running listener `l` is bound where `address` asks for: the same
// host, and the same port or the one `l` got for port 0.
bool holds_address(const ListenerRuntime& l, const std::string& address) {
  const std::string& had = l.state->settings.address;
  const size_t a = had.rfind(':'), b = address.rfind(':');
  if (a == std::string::npos || b == std::string::npos || had.compare(0, a, address, 0, b) != 0) return false;
  const std::string port = address.substr(b + 1);
  return port == had.substr(a + 1) || (!l.bound.empty() && port == std::to_string(l.bound.front().port));
}

// Whether another listener can take over the running `l`'s sockets: every
// engine of `l` can hand its socket on. (Sockets beyond `l`'s join the port:
// the first shared one gets SO_REUSEPORT before they bind.)
bool can_take_over(const ListenerRuntime& l) {
  for (const auto& r : l.receivers)
    if (r->engine().socket_handle(0) < 0) return false;
  return true;
}

}  // namespace

Status Pipeline::reload(const Settings& loaded, std::vector<std::string>& restart_needed) {
  for (const std::string& key : changes_needing_restart(settings_, loaded))
    if (key.rfind("listener", 0) != 0) restart_needed.push_back(key);
  if (loaded.listeners.empty() && !active_.empty())
    return Status::invalid("the configuration has no listener; the running ones are kept");
  {
    std::lock_guard lock(mu_);
    reap_retired();
  }
  auto running = [&](const std::string& name) -> ListenerRuntime* {
    for (auto& l : active_)
      if (l->state->settings.name == name) return l.get();
    return nullptr;
  };

  // A listener that had to give up its address and can't take it back.
  auto bring_back = [&](const ListenerSettings& previous) {
    Failure again;
    if (auto back = start_listener(previous, again)) {
      std::lock_guard lock(mu_);
      active_.push_back(std::move(back));
    } else {
      spdlog::error("reload: listener '{}' is down: {}", previous.name, again.message);
    }
  };

  // New and changed listeners first, each bound before the one it replaces is
  // retired: a listener whose new socket can't be bound keeps running as it was.
  Status result;
  for (const ListenerSettings& wanted : loaded.listeners) {
    ListenerRuntime* old = running(wanted.name);
    const bool same_address = old != nullptr && holds_address(*old, wanted.address);
    // Sockets change hands only between listeners of one transport (a TCP
    // listener binds its own; UDP and TCP ports are apart anyway).
    const bool take_over = same_address && old->state->settings.transport == wanted.transport && can_take_over(*old);
    ListenerSettings ls = wanted;
    if (take_over && ls.sockets < old->receivers.size()) {
      // A socket closed under traffic loses what reaches it between its last
      // read and the close, so the sockets are all taken over and kept.
      restart_needed.push_back("listener '" + ls.name + "' sockets (fewer)");
      ls.sockets = static_cast<uint32_t>(old->receivers.size());
    }
    if (old != nullptr && old->state->settings == ls) continue;  // untouched
    Failure failure;
    std::unique_ptr<ListenerRuntime> fresh;
    if (take_over) {
      // The new listener takes the running one's sockets over: the port
      // never closes, and what the sockets hold is read by the new one.
      ListenerSettings previous = old->state->settings;
      fresh = start_listener(ls, failure, old);
      if (fresh) {
        spdlog::info("reload: listener '{}' replaced, its sockets taken over", ls.name);
        std::lock_guard lock(mu_);
        active_.push_back(std::move(fresh));
        continue;
      }
      if (running(ls.name) == nullptr) {  // failed after the hand-over
        old = nullptr;
        bring_back(previous);
      }
    } else {
      fresh = start_listener(ls, failure);
      if (!fresh && same_address && failure.kind == Failure::kSocket) {
        // The running listener holds the address itself and its sockets can't
        // change hands (a socket without SO_REUSEPORT can't be bound twice):
        // it gives the address up, drained, and takes it back if the new one
        // still can't bind.
        spdlog::info("reload: listener '{}' restarts on {}", ls.name, ls.address);
        ListenerSettings previous = old->state->settings;
        retire(take_active(old), kReloadDrainMs);
        old = nullptr;
        fresh = start_listener(ls, failure);
        if (!fresh) bring_back(previous);
      }
    }
    if (!fresh) {
      spdlog::error("reload: {}{}", failure.message, old != nullptr ? " (the running listener is kept)" : "");
      if (result) result = Status::invalid(failure.message);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      active_.push_back(std::move(fresh));
    }
    if (old != nullptr) {
      spdlog::info("reload: listener '{}' replaced", ls.name);
      retire(take_active(old), kReloadDrainMs);
    }
  }

  // Then the ones that are gone.
  for (size_t i = 0; i < active_.size();) {
    const std::string name = active_[i]->state->settings.name;
    bool wanted = std::any_of(loaded.listeners.begin(), loaded.listeners.end(),
                              [&](const ListenerSettings& ls) { return ls.name == name; });
    if (wanted) {
      ++i;
      continue;
    }
    spdlog::info("reload: listener '{}' stops", name);
    retire(take_active(active_[i].get()), kReloadDrainMs);
  }

  std::lock_guard lock(mu_);
  // The settings now in force: each listener as it runs, in the new order.
  settings_.listeners.clear();
  for (const ListenerSettings& ls : loaded.listeners)
    if (ListenerRuntime* l = running(ls.name)) settings_.listeners.push_back(l->state->settings);
  settings_.log_level = loaded.log_level;
  return result;
}

std::unique_ptr<ListenerRuntime> Pipeline::take_active(ListenerRuntime* l) {
  std::lock_guard lock(mu_);
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    if (it->get() != l) continue;
    std::unique_ptr<ListenerRuntime> out = std::move(*it);
    active_.erase(it);
    return out;
  }
  return nullptr;
}

uint16_t Pipeline::port(const std::string& name) const {
  for (const auto& l : active_)
    if (l->state->settings.name == name && !l->bound.empty()) return l->bound.front().port;
  return 0;
}

uint16_t Pipeline::port(size_t position) const {
  return position < active_.size() && !active_[position]->bound.empty() ? active_[position]->bound.front().port : 0;
}

Status Pipeline::stop(int drain_ms) {
  if (stopped_) return {};
  stopped_ = true;
  draining_.store(true, std::memory_order_release);
  // Receivers first: once they have ended, nothing new enters the queue, and
  // the shards can finish what is in it.
  for (auto& l : active_)
    for (auto& r : l->receivers) r->stop_and_join(drain_ms);
  spdlog::info("drain: receivers stopped; {} datagram(s) queued for the parsers", queue_depth());
  // The reserves end first: each takes what it finds and stops. Then shard 0,
  // the queue's one consumer left, is woken by harvests no other shard can
  // take before it, again while it runs (so a wake-up it consumed before it
  // saw the stop cannot leave it asleep), and the wait says what it is on.
  Status result;
  auto finish = [&](ParserShard& shard, bool wake) {
    const int64_t start = mono_ns();
    int64_t next_report = start + kStopReportNs;
    while (!shard.finished()) {
      if (wake) queue_->enqueue(kWakeHarvest);
      std::this_thread::sleep_for(std::chrono::milliseconds(kStopPollMs));
      if (int64_t now = mono_ns(); now >= next_report && !shard.finished()) {
        next_report = now + kStopReportNs;
        const auto io_since = static_cast<int64_t>(shard.log_probe().io_waiting_since_ns.get());
        spdlog::warn("drain: still waiting for parser shard {} after {} ms ({} datagram(s) queued{})",
                     shard.index(), (now - start) / 1'000'000, queue_depth(),
                     io_since != 0 ? "; its disk has not completed a write or sync for " +
                                         std::to_string((now - io_since) / 1'000'000) + " ms"
                                   : std::string());
      }
    }
    Status st = shard.join();
    if (!st && result) result = st;
  };
  for (size_t i = 1; i < shards_.size(); ++i) shards_[i]->request_stop();  // wakes the reserves
  for (size_t i = 1; i < shards_.size(); ++i) finish(*shards_[i], false);
  if (!shards_.empty()) {
    shards_[0]->request_stop();
    finish(*shards_[0], true);
  }
  spdlog::info("drain: parsers stopped, every partition written and synced");
  // The log is closed and synced; outputs get what is outstanding
  // acknowledged (for a moment) and remember where they are.
  for (auto& out : outputs_) out->stop(kOutputStopMs);
  return result;
}

std::string Pipeline::stalled(int64_t now, int64_t limit_ns) {
  std::string why;
  auto say = [&](const std::string& what, int64_t ns) {
    if (!why.empty()) why += "; ";
    why += what + " for " + std::to_string(ns / 1'000'000) + " ms";
  };
  {
    std::lock_guard lock(mu_);
    for (const auto& l : active_)
      for (const auto& r : l->receivers)
        if (int64_t late = r->heartbeat().overdue_ns(now); late > limit_ns)
          say("listener '" + l->state->settings.name + "': receiver " + std::to_string(r->index()) +
                  " has not come back from a poll",
              late);
  }
  uint64_t taken = 0;
  for (const auto& shard : shards_) {
    const std::string part = std::to_string(shard->index());
    if (int64_t late = shard->heartbeat().overdue_ns(now); late > limit_ns)
      say("parser shard " + part + " has been busy without coming back", late);
    const auto since = static_cast<int64_t>(shard->log_probe().io_waiting_since_ns.get());
    if (since != 0 && now - since > limit_ns)
      say("partition " + part + ": the disk has not completed a write or sync", now - since);
    taken += shard->taken();
  }
  if (queue_depth() == 0 || taken != watch_taken_) {
    watch_taken_ = taken;
    watch_since_ = now;
  } else if (now - watch_since_ > limit_ns) {
    say("handoff queue: " + std::to_string(queue_depth()) + " datagram(s) wait and no parser shard took one",
        now - watch_since_);
  }
  return why;
}

std::string Pipeline::write_blocked() const {
  std::string why;
  for (const auto& shard : shards_) {
    uint64_t failure = shard->write_health().state();
    if (failure == kWriting) continue;
    if (!why.empty()) why += ", ";
    why += "partition " + std::to_string(shard->index()) + ": " + (failure == kDiskFull ? "disk full" : "write error");
  }
  return why;
}

}  // namespace ringest
