#include "daemon/listener_state.h"

namespace ringest {

ListenerState::ListenerState(uint16_t id_, uint16_t stored_id_, const ListenerSettings& s, size_t shards)
    : id(id_), stored_id(stored_id_), settings(s), allow(s.allow), probes(new ShardListenerProbe[shards]) {
  ParserOptions opts;
  precision_from_name(s.precision, opts.precision_ns);  // config.cc admits only known names
  for (size_t i = 0; i < shards; ++i) {
    parsers.push_back(make_parser(s.format, opts));
    probes[i].parse_errors.reset(new Counter[parsers.back()->reasons().size()]);
    probes[i].skipped.reset(new Counter[parsers.back()->skips().size()]);
  }
}

bool ListenerState::settled(size_t shards) const {
  for (size_t i = 0; i < shards; ++i) {
    const ShardListenerProbe& p = probes[i];
    const uint64_t before_log = p.too_large.get() + p.filtered.get() + p.parse_dropped.get();
    const uint64_t by_log = p.stored.get() + p.dropped_disk_full.get() + p.dropped_sink_error.get();
    if (p.datagrams.get() != before_log + by_log) return false;
  }
  return true;
}

}  // namespace ringest
