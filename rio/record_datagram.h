// Socket addresses, the same on every platform: numeric "host:port" to a
// sockaddr, a sockaddr to the SourceAddress stored with each datagram, and
// the slot metadata every engine records for a datagram.
#pragma once

#include <string>

#include "common/source_address.h"
#include "common/status.h"
#include "rio/buffer_pool.h"
#include "rio/engine.h"
#include "rio/socket_api.h"

namespace ringest::rio {

// Resolves a numeric "host:port" / "[v6]:port", or "localhost:port" as
// 127.0.0.1 (no DNS on the packet path).
Status resolve(const std::string& address, sockaddr_storage& sa, socklen_t& len);

// An IPv4 or IPv6 sockaddr as a SourceAddress; anything else as the empty one.
void to_source(const sockaddr* sa, SourceAddress& out);

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
