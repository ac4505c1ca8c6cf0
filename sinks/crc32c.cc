#include "sinks/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ringest::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // Castagnoli, reflected

// tables[k][b]: CRC of byte b followed by k zero bytes, for slicing-by-8.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (int k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr Tables kTables = make_tables();

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

using ExtendFn = uint32_t (*)(uint32_t, const void*, size_t);

ExtendFn choose() {
  return detail::have_hardware() ? detail::extend_hardware : detail::extend_portable;
}

}  // namespace

namespace detail {

uint32_t extend_portable(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t l = crc ^ 0xFFFFFFFFu;
  while (n >= 8) {
    uint64_t v = load_le64(p) ^ l;
    l = kTables[7][v & 0xff] ^ kTables[6][(v >> 8) & 0xff] ^ kTables[5][(v >> 16) & 0xff] ^
        kTables[4][(v >> 24) & 0xff] ^ kTables[3][(v >> 32) & 0xff] ^ kTables[2][(v >> 40) & 0xff] ^
        kTables[1][(v >> 48) & 0xff] ^ kTables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) l = (l >> 8) ^ kTables[0][(l ^ *p++) & 0xff];
  return l ^ 0xFFFFFFFFu;
}

#if defined(__x86_64__)

bool have_hardware() {
  return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2"))) uint32_t extend_hardware(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t l = crc ^ 0xFFFFFFFFu;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // x86 is little-endian; memcpy keeps the load unaligned-safe
    l = _mm_crc32_u64(l, v);
    p += 8;
    n -= 8;
  }
  auto l32 = static_cast<uint32_t>(l);
  while (n--) l32 = _mm_crc32_u8(l32, *p++);
  return l32 ^ 0xFFFFFFFFu;
}

#else

bool have_hardware() {
  return false;
}

uint32_t extend_hardware(uint32_t crc, const void* data, size_t n) {
  return extend_portable(crc, data, n);
}

#endif

}  // namespace detail

uint32_t extend(uint32_t crc, const void* data, size_t n) {
  // Chosen once; a function-local static is initialised thread-safely.
  static const ExtendFn fn = choose();
  return fn(crc, data, n);
}

}  // namespace ringest::crc32c
