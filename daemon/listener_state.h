// ListenerState: one configured listener while it runs — its settings, the
// stable id its datagrams carry (SlotMeta::listener), and what each parser
// shard needs to handle them: a parser instance and a probe of its own.
//
// Ids are never reused while anything can still refer to them, so a shard
// that takes a datagram of a listener removed by a reload still finds the
// listener's parser. The pipeline publishes states through ListenerTable;
// shards only read it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/counter.h"
#include "daemon/formats/parser.h"
#include "daemon/settings.h"
#include "daemon/source_filter.h"

namespace ringest {

// Per-listener counters of one shard; one writer (that shard's thread).
struct ShardListenerProbe {
  Counter datagrams;          // datagrams parsed
  Counter points;             // points appended
  Counter raw;                // rejected lines kept as raw records
  Counter parse_dropped;      // datagrams with no line that could be stored
  Counter filtered;           // datagrams from a source outside the allowlist
  Counter too_large;          // datagrams above max_datagram_bytes
  // How the log settled the datagrams appended (every datagram counted above
  // and in none of the drops before it ends in exactly one of these).
  Counter stored;             // their batch was written
  Counter dropped_disk_full;  // their batch was dropped: disk full
  Counter dropped_sink_error; // their batch was dropped: another write error
  std::unique_ptr<Counter[]> parse_errors;  // lines rejected, by reason index
  std::unique_ptr<Counter[]> skipped;       // parts of accepted lines left out, by skip index
};

struct ListenerState {
  ListenerState(uint16_t id, uint16_t stored_id, const ListenerSettings& settings, size_t shards);

  uint16_t id;         // this run's slot in ListenerTable (SlotMeta::listener)
  uint16_t stored_id;  // what its records carry: the id in the data directory's ListenerCatalog
  ListenerSettings settings;
  SourceFilter allow;
  std::vector<std::unique_ptr<Parser>> parsers;  // [shard]
  std::unique_ptr<ShardListenerProbe[]> probes;   // [shard]
  std::span<const std::string_view> reasons() const { return parsers.front()->reasons(); }
  std::span<const std::string_view> skips() const { return parsers.front()->skips(); }
  // Whether every datagram the shards took has been settled: dropped before
  // the log, or stored or dropped by it. Only then is the state no longer
  // needed; call it once the listener's slots have all come back.
  bool settled(size_t shards) const;
};

// Listener id → state, read by shards without locks.
class ListenerTable {
 public:
  static constexpr size_t kMax = 4096;
  ListenerState* get(uint16_t id) const { return slots_[id].load(std::memory_order_acquire); }
  void set(uint16_t id, ListenerState* s) { slots_[id].store(s, std::memory_order_release); }

 private:
  std::array<std::atomic<ListenerState*>, kMax> slots_{};
};

}  // namespace ringest
