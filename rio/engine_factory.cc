#include "rio/engine_factory.h"

#include <mutex>

#if defined(__linux__)
#include "rio/linux/recvmmsg_engine.h"
#include "rio/linux/uring_engine.h"
#elif defined(_WIN32)
#include "rio/windows/iocp_engine.h"
#include "rio/windows/rio_engine.h"
#endif

namespace ringest::rio {
namespace {

struct Backend {
  EngineKind kind;
  std::string (*probe)();  // "" if usable, else why not
  std::unique_ptr<Engine> (*create)(const EngineOptions&);
};

#if defined(__linux__)
const Backend kBackends[] = {
    {EngineKind::kUring, &UringEngine::probe_support,
     [](const EngineOptions& o) -> std::unique_ptr<Engine> { return std::make_unique<UringEngine>(o); }},
    {EngineKind::kRecvmmsg, [] { return std::string(); },
     [](const EngineOptions& o) -> std::unique_ptr<Engine> { return std::make_unique<RecvmmsgEngine>(o); }},
};
#elif defined(_WIN32)
const Backend kBackends[] = {
    {EngineKind::kRio, &RioEngine::probe_support,
     [](const EngineOptions& o) -> std::unique_ptr<Engine> {
       RIO_EXTENSION_FUNCTION_TABLE table;
       RioEngine::load_table(table);  // the probe already saw it load
       return std::make_unique<RioEngine>(o, table);
     }},
    {EngineKind::kIocp, &IocpEngine::probe_support,
     [](const EngineOptions& o) -> std::unique_ptr<Engine> { return std::make_unique<IocpEngine>(o); }},
};
#endif

const std::string& probe_cached(const Backend& b) {
  static std::mutex mu;
  static std::string results[8];
  static bool done[8] = {};
  std::lock_guard lock(mu);
  auto i = static_cast<size_t>(b.kind);
  if (!done[i]) {
    results[i] = b.probe();
    done[i] = true;
  }
  return results[i];
}

}  // namespace

std::string_view to_string(EngineKind k) {
  auto i = static_cast<size_t>(k);
  return i < std::size(kEngineNames) ? kEngineNames[i] : "?";
}

bool parse_engine_kind(std::string_view name, EngineKind& out) {
  for (size_t i = 0; i < std::size(kEngineNames); ++i) {
    if (kEngineNames[i] == name) {
      out = static_cast<EngineKind>(i);
      return true;
    }
  }
  return false;
}

std::vector<EngineKind> built_engines() {
  std::vector<EngineKind> v;
  for (const Backend& b : kBackends) v.push_back(b.kind);
  return v;
}

EngineChoice make_engine(EngineKind kind, const EngineOptions& opts) {
  EngineChoice choice;
  std::string skipped;
  for (const Backend& b : kBackends) {
    if (kind != EngineKind::kAuto && kind != b.kind) continue;
    const std::string& why_not = probe_cached(b);
    if (why_not.empty()) {
      choice.engine = b.create(opts);
      choice.reason = std::string(kind == EngineKind::kAuto ? "auto: " : "forced: ") +
                      std::string(to_string(b.kind)) + " works" + skipped;
      return choice;
    }
    skipped += "; " + std::string(to_string(b.kind)) + " unavailable (" + why_not + ")";
  }
  choice.reason = "engine '" + std::string(to_string(kind)) + "' is not usable here" + skipped;
  return choice;
}

}  // namespace ringest::rio
