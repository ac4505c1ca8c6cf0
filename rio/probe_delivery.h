// What an engine's probe_support() asks last: does a message sent to the
// engine's socket come out of poll()? Polls up to `rounds` times and returns
// the payload of the first slot handed out ("" if none), releasing every slot.
#pragma once

#include <span>
#include <string>

#include "rio/engine.h"

namespace ringest::rio {

inline std::string first_delivered(Engine& e, int rounds, int timeout_ms) {
  struct Collect : DatagramHandler {
    Engine* e = nullptr;
    std::string got;
    void on_datagrams(std::span<const uint32_t> slots) override {
      for (uint32_t s : slots) got.assign(e->pool().payload(s));
      e->release(slots);
    }
  } collect;
  collect.e = &e;
  for (int i = 0; i < rounds && collect.got.empty(); ++i) e.poll(collect, timeout_ms);
  return collect.got;
}

}  // namespace ringest::rio
