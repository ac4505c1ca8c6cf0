// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78): the checksum
// of every segment header and batch. The hardware path (SSE4.2 crc32) is picked
// once, at first use, when the CPU has it; otherwise a slicing-by-8 table runs.
// Both give identical results. Thread-safe; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringest::crc32c {

// CRC32C of data[0, n), continuing from `crc`, the CRC of the bytes before it
// (0 for none): value(a+b) == extend(value(a), b).
uint32_t extend(uint32_t crc, const void* data, size_t n);

inline uint32_t value(const void* data, size_t n) {
  return extend(0, data, n);
}

// The two implementations, exposed so tests can check that they agree.
namespace detail {
bool have_hardware();
uint32_t extend_portable(uint32_t crc, const void* data, size_t n);
// Only call when have_hardware() is true.
uint32_t extend_hardware(uint32_t crc, const void* data, size_t n);
}  // namespace detail

}  // namespace ringest::crc32c
