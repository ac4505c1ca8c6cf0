// The slot metadata every engine records for a datagram (addresses
// themselves: common/socket_address.h).
#pragma once

#include "common/socket_address.h"
#include "rio/buffer_pool.h"
#include "rio/engine.h"

namespace ringest::rio {

// A datagram received into a slot, on every engine: its source (`name` may
// be null), where its payload lies in the slot, when it came; counted on the
// socket's probe.
inline void record_datagram(SocketProbe& probe, uint16_t sock, SlotMeta& meta, const sockaddr* name,
                            uint32_t offset, uint32_t length, int64_t now_ns) {
  if (name) {
    to_source(name, meta.source);
  } else {
    meta.source = SourceAddress{};
  }
  meta.offset = offset;
  meta.length = length;
  meta.listener = probe.listener;
  meta.socket = sock;
  meta.receive_ns = now_ns;
  probe.datagrams.add();
  probe.bytes.add(length);
}

}  // namespace ringest::rio
