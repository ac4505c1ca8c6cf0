// The Windows engines as the engine test suite constructs them: from
// EngineOptions alone. The RIO engine runs over the test double of the RIO
// function table (tests/rio/rio_double.h): Wine has no Registered I/O.
#pragma once

#include <memory>

#include "rio/windows/iocp_engine.h"
#include "rio/windows/rio_engine.h"
#include "tests/rio/rio_double.h"

namespace ringest::rio {

// Holds the double for as long as the engine above it lives.
struct RioDoubleHolder {
  std::shared_ptr<test::RioDouble> rio_double = test::RioDouble::acquire();
};

// The real RioEngine, calling the double's function table.
class RioEngineOverDouble : private RioDoubleHolder, public RioEngine {
 public:
  explicit RioEngineOverDouble(const EngineOptions& o) : RioEngine(o, rio_double->table()) {}
  test::RioDouble& double_table() { return *rio_double; }
};

}  // namespace ringest::rio
