#include "rio/engine_factory.h"

#include <mutex>
#include <span>
#include <type_traits>

#if defined(__linux__)
#include "rio/linux/recvmmsg_engine.h"
#include "rio/linux/uring_engine.h"
#include "rio/linux/uring_stream_engine.h"
#elif defined(_WIN32)
#include "rio/windows/iocp_engine.h"
#include "rio/windows/iocp_stream_engine.h"
#include "rio/windows/rio_engine.h"
#endif

namespace ringest::rio {
namespace {

struct Backend {
  EngineKind kind;
  std::string (*probe)();  // "" if usable, else why not
  std::unique_ptr<Engine> (*create)(const EngineOptions&);
};

struct StreamBackend {
  EngineKind kind;
  std::string (*probe)();
  std::unique_ptr<Engine> (*create)(const EngineOptions&, const StreamOptions&);
};

#if defined(__linux__)
const Backend kBackends[] = {
    {EngineKind::kUring, &UringEngine::probe_support,
     [](const EngineOptions& o) -> std::unique_ptr<Engine> { return std::make_unique<UringEngine>(o); }},
    {EngineKind::kRecvmmsg, [] { return std::string(); },
     [](const EngineOptions& o) -> std::unique_ptr<Engine> { return std::make_unique<RecvmmsgEngine>(o); }},
};
const StreamBackend kStreamBackends[] = {
    {EngineKind::kUring, &UringStreamEngine::probe_support,
     [](const EngineOptions& o, const StreamOptions& so) -> std::unique_ptr<Engine> {
       return std::make_unique<UringStreamEngine>(o, so);
     }},
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
const StreamBackend kStreamBackends[] = {
    {EngineKind::kIocp, &IocpStreamEngine::probe_support,
     [](const EngineOptions& o, const StreamOptions& so) -> std::unique_ptr<Engine> {
       return std::make_unique<IocpStreamEngine>(o, so);
     }},
};
#endif

// Datagram probes by kind, then stream probes by kind.
template <typename B>
const std::string& probe_cached(const B& b) {
  constexpr size_t kKinds = std::size(kEngineNames);
  static std::mutex mu;
  static std::string results[2 * kKinds];
  static bool done[2 * kKinds] = {};
  std::lock_guard lock(mu);
  auto i = static_cast<size_t>(b.kind) + (std::is_same_v<B, StreamBackend> ? kKinds : 0);
  if (!done[i]) {
    results[i] = b.probe();
    done[i] = true;
  }
  return results[i];
}

// kAuto picks the first backend whose probe passes; a named kind only that one.
template <typename B, typename Create>
EngineChoice choose(std::span<const B> backends, EngineKind kind, const char* what, Create create) {
  EngineChoice choice;
  std::string skipped;
  for (const B& b : backends) {
    if (kind != EngineKind::kAuto && kind != b.kind) continue;
    const std::string& why_not = probe_cached(b);
    if (why_not.empty()) {
      choice.engine = create(b);
      choice.reason = std::string(kind == EngineKind::kAuto ? "auto: " : "forced: ") +
                      std::string(to_string(b.kind)) + " works" + skipped;
      return choice;
    }
    skipped += "; " + std::string(to_string(b.kind)) + " unavailable (" + why_not + ")";
  }
  choice.reason = "engine '" + std::string(to_string(kind)) + "' " + what + skipped;
  return choice;
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
  return choose(std::span<const Backend>(kBackends), kind, "is not usable here",
                [&](const Backend& b) { return b.create(opts); });
}

EngineChoice make_stream_engine(EngineKind kind, const EngineOptions& opts, const StreamOptions& stream) {
  return choose(std::span<const StreamBackend>(kStreamBackends), kind, "has no TCP receive here",
                [&](const StreamBackend& b) { return b.create(opts, stream); });
}

}  // namespace ringest::rio
