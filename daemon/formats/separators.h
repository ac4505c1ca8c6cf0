// Where the bytes a StatsD line is split at ('\n', ':', '|') are among the
// next 64 bytes of a datagram, as bit masks (bit i: byte i): the StatsD
// parser finds a line's end, its name, value and type from them without a
// pass per separator. With SSE2 (every x86-64) sixteen bytes are compared a
// step; elsewhere byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ringest {

struct Separators {
  uint64_t newline = 0, colon = 0, bar = 0;
};

inline constexpr size_t kSeparatorWindow = 64;

// The separators among the min(n, 64) bytes at p; bytes past n are none.
inline Separators find_separators(const char* p, size_t n) {
  Separators s;
#if defined(__SSE2__)
  alignas(16) char tail[kSeparatorWindow];
  if (n < kSeparatorWindow) {  // the end of the datagram: never read past it
    std::memset(tail, 0, sizeof tail);
    std::memcpy(tail, p, n);
    p = tail;
  }
  const __m128i nl = _mm_set1_epi8('\n'), colon = _mm_set1_epi8(':'), bar = _mm_set1_epi8('|');
  for (unsigned i = 0; i < kSeparatorWindow; i += 16) {
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    s.newline |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(w, nl)))} << i;
    s.colon |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(w, colon)))} << i;
    s.bar |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(w, bar)))} << i;
  }
#else
  const size_t end = n < kSeparatorWindow ? n : kSeparatorWindow;
  for (size_t i = 0; i < end; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    if (p[i] == '\n') s.newline |= bit;
    if (p[i] == ':') s.colon |= bit;
    if (p[i] == '|') s.bar |= bit;
  }
#endif
  return s;
}

// The separators of a datagram, from any line start on, each 64-byte block
// of it looked at once however many lines it holds: lines are walked in
// order, so the window only moves forward.
class SeparatorWindow {
 public:
  SeparatorWindow(const char* data, size_t size) : data_(data), size_(size) {
    cur_ = block(0);
    next_ = block(kSeparatorWindow);
  }

  // The separators of the 64 bytes from `at` (>= every `at` before it).
  Separators from(size_t at) {
    while (at >= base_ + kSeparatorWindow) {
      base_ += kSeparatorWindow;
      cur_ = next_;
      next_ = block(base_ + kSeparatorWindow);
    }
    const auto o = static_cast<unsigned>(at - base_);
    if (o == 0) return cur_;
    auto join = [o](uint64_t lo, uint64_t hi) { return lo >> o | hi << (kSeparatorWindow - o); };
    return Separators{join(cur_.newline, next_.newline), join(cur_.colon, next_.colon), join(cur_.bar, next_.bar)};
  }

 private:
  Separators block(size_t at) const { return at < size_ ? find_separators(data_ + at, size_ - at) : Separators{}; }

  const char* data_;
  size_t size_;
  size_t base_ = 0;  // cur_ is [base_, base_ + 64), next_ the 64 bytes after
  Separators cur_, next_;
};

}  // namespace ringest
