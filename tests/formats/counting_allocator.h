// Counts heap allocations in the formats_tests binary: counting_allocator.cc
// replaces the global operator new there (and only there).
#pragma once

#include <cstddef>

namespace ringest::testing {

// Counting starts at zero; stop_counting() returns how many operator new
// calls happened in between, on any thread.
void start_counting();
size_t stop_counting();

}  // namespace ringest::testing
