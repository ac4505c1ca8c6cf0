// Little-endian fixed-width and LEB128 varint encoding for the segment format.
//
// Everything on disk is little-endian regardless of the host. The put_* helpers
// write into memory the caller has already sized (the batch buffer is reserved
// from an exact size computed first), so they never allocate and never check
// bounds; the get_* helpers read from memory the caller has bounds-checked.
// Varint decoding is the exception: it is bounds-checked here because its length
// is only known while reading.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ringest::coding {

inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, 8);  // one store
  } else {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

inline uint16_t get_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Bytes a varint of `v` takes (1..5).
inline size_t varint32_length(uint32_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes `v` (uint32_t: 1..5 bytes, uint64_t: 1..10) as LEB128 and returns the
// byte after it.
template <class T>
inline uint8_t* put_varint(uint8_t* p, T v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Reads a LEB128 value of at most T's width from [p, limit). Returns the byte
// after it, or nullptr if the varint runs past `limit`, is longer than T needs
// (5 bytes for 32 bits, 10 for 64) or overflows T.
template <class T>
inline const uint8_t* get_varint(const uint8_t* p, const uint8_t* limit, T* v) {
  constexpr int kBits = sizeof(T) * 8;
  constexpr int kLastShift = kBits / 7 * 7;                       // 28 or 63
  constexpr T kLastMax = (T{1} << (kBits - kLastShift)) - 1;  // what fits there
  T result = 0;
  for (int shift = 0; shift <= kLastShift && p < limit; shift += 7) {
    T byte = *p++;
    if (shift == kLastShift && byte > kLastMax) return nullptr;  // bits beyond T
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

inline uint8_t* put_varint32(uint8_t* p, uint32_t v) { return put_varint(p, v); }
inline uint8_t* put_varint64(uint8_t* p, uint64_t v) { return put_varint(p, v); }
inline const uint8_t* get_varint32(const uint8_t* p, const uint8_t* limit, uint32_t* v) {
  return get_varint(p, limit, v);
}
inline const uint8_t* get_varint64(const uint8_t* p, const uint8_t* limit, uint64_t* v) {
  return get_varint(p, limit, v);
}

// Signed values as unsigned ones with small magnitudes small: 0, -1, 1, -2 ...
// become 0, 1, 2, 3 ...
inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace ringest::coding
