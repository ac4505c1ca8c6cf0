// Little-endian fixed-width and LEB128 varint encoding for the segment format.
//
// Everything on disk is little-endian regardless of the host. The put_* helpers
// write into memory the caller has already sized (the batch buffer is reserved
// from an exact size computed first), so they never allocate and never check
// bounds; the get_* helpers read from memory the caller has bounds-checked.
// Varint decoding is the exception: it is bounds-checked here because its length
// is only known while reading.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringest::coding {

inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
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

// Writes `v` as LEB128 and returns the byte after it.
inline uint8_t* put_varint32(uint8_t* p, uint32_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Reads a LEB128 value of at most 32 bits from [p, limit). Returns the byte after
// it, or nullptr if the varint runs past `limit`, is longer than 5 bytes or
// overflows 32 bits.
inline const uint8_t* get_varint32(const uint8_t* p, const uint8_t* limit, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28 && p < limit; shift += 7) {
    uint32_t byte = *p++;
    if (shift == 28 && byte > 0x0f) return nullptr;  // bits beyond 32
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// Writes `v` as LEB128 (1..10 bytes) and returns the byte after it.
inline uint8_t* put_varint64(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Reads a LEB128 value of at most 64 bits from [p, limit), as get_varint32
// does: nullptr if it runs past `limit`, is longer than 10 bytes or overflows.
inline const uint8_t* get_varint64(const uint8_t* p, const uint8_t* limit, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = *p++;
    if (shift == 63 && byte > 0x01) return nullptr;  // bits beyond 64
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// Signed values as unsigned ones with small magnitudes small: 0, -1, 1, -2 ...
// become 0, 1, 2, 3 ...
inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace ringest::coding
