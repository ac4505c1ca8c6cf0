// A hint to the processor: fetch the cache line holding `p` now, as it will be
// read soon. It changes nothing the program computes, and any address may be
// given.
#pragma once

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif

namespace ringest {

inline void prefetch(const void* p) {
#if defined(_MSC_VER) && !defined(__clang__)
  _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0);
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace ringest
