// Pipeline: the whole path of DESIGN.md wired from Settings — receivers
// (engines and their threads), the handoff queue, parser shards and their log
// partitions — with an orderly start and a draining stop.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/handoff.h"
#include "daemon/receiver.h"
#include "daemon/settings.h"
#include "daemon/shard.h"

namespace ringest {

// One socket of a listener, as bound.
struct BoundListenerSocket {
  size_t listener;
  uint16_t receiver;
  uint16_t socket;  // index within the receiver's engine
  rio::BoundSocket bound;
};

class Pipeline {
 public:
  // Why start() failed: one line, and the exit code it maps to.
  struct Failure {
    enum Kind { kNone, kSocket, kStorage, kEngine } kind = kNone;
    std::string message;
  };
  // Opens the log partitions, binds every listener socket, starts receivers
  // and shards. On failure nothing is left running and `failure` says why.
  static std::unique_ptr<Pipeline> start(const Settings& settings, Failure& failure);
  ~Pipeline();

  // Stops receiving, drains the sockets (for at most drain_ms), parses and
  // writes everything taken in, syncs the log and stops the threads.
  Status stop(int drain_ms = 2000);

  const Settings& settings() const { return settings_; }
  const std::vector<std::unique_ptr<Receiver>>& receivers() const { return receivers_; }
  const std::vector<std::unique_ptr<ParserShard>>& shards() const { return shards_; }
  const std::vector<BoundListenerSocket>& sockets() const { return sockets_; }
  size_t queue_depth() const { return queue_->size_approx(); }
  // The port listener `l` is bound to (its first socket).
  uint16_t port(size_t l) const;

 private:
  explicit Pipeline(const Settings& s) : settings_(s) {}

  Settings settings_;
  std::unique_ptr<HandoffQueue> queue_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
  std::vector<std::unique_ptr<ParserShard>> shards_;
  std::vector<BoundListenerSocket> sockets_;
  bool stopped_ = false;
};

}  // namespace ringest
