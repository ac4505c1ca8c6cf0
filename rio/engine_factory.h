// The engine factory: the one place that knows which backends this build has.
// It probes what really works, ranks, falls back, and says why.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rio/engine.h"

namespace ringest::rio {

struct EngineChoice {
  std::unique_ptr<Engine> engine;  // null if the engine asked for cannot run here
  std::string reason;              // why this engine (or why none): for the log
};

// kAuto picks the best engine that passes its probe; a named kind is used if
// it passes, else no engine is returned (a forced engine never silently
// becomes another). Probe results are cached for the process.
EngineChoice make_engine(EngineKind kind, const EngineOptions& opts);

// The same for a TCP listener: an engine that accepts connections on its one
// socket and frames what they send into messages (rio/stream_assembler.h).
// Linux has it on uring, Windows on iocp.
EngineChoice make_stream_engine(EngineKind kind, const EngineOptions& opts, const StreamOptions& stream);

// Engines built into this binary, best first.
std::vector<EngineKind> built_engines();

}  // namespace ringest::rio
