// The engine suites' DatagramHandler: collects what poll() hands out and
// keeps the slots until told to release them.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "rio/engine.h"

namespace ringest::rio {

struct Collector : DatagramHandler {
  Engine* engine = nullptr;
  bool release_now = true;
  std::vector<std::string> payloads;
  std::vector<SlotMeta> metas;
  std::vector<uint32_t> held;
  void on_datagrams(std::span<const uint32_t> slots) override {
    for (uint32_t s : slots) {
      payloads.emplace_back(engine->pool().payload(s));
      metas.push_back(engine->pool().meta(s));
    }
    if (release_now) {
      engine->release(slots);
    } else {
      held.insert(held.end(), slots.begin(), slots.end());
    }
  }
  void release_held() {
    engine->release(held);
    held.clear();
  }
};

}  // namespace ringest::rio
