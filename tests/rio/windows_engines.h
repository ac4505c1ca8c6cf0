// The Windows engines as the engine test suite constructs them: from
// EngineOptions alone. The RIO engine runs over the test double of the RIO
// function table (tests/rio/rio_double.h): Wine has no Registered I/O.
#pragma once

#include "rio/windows/iocp_engine.h"
