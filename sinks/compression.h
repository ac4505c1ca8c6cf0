// Per-batch payload compression (zstd or lz4), as recorded in a batch's flags
// (layout in sinks/segment_format.h). A compressed payload is
//   u32 uncompressed length | the compressed bytes (a zstd frame, or an lz4 block)
// and decompresses to exactly `uncompressed length` bytes of records.
// The caller owns the buffers. Never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

struct ZSTD_CCtx_s;  // zstd.h's ZSTD_CCtx

namespace ringest {

enum class Compression : uint8_t { kNone = 0, kZstd = 1, kLz4 = 2 };
// Indexed by Compression: the names the configuration and the tools use.
inline constexpr std::string_view kCompressionNames[] = {"none", "zstd", "lz4"};

bool parse_compression(std::string_view name, Compression& out);
const char* to_string(Compression c);

// Compresses payloads, keeping its zstd context from one batch to the next
// (building one costs more than compressing a small batch). One per writer
// thread: not thread-safe.
class PayloadCompressor {
 public:
  PayloadCompressor() = default;
  ~PayloadCompressor();
  PayloadCompressor(const PayloadCompressor&) = delete;
  PayloadCompressor& operator=(const PayloadCompressor&) = delete;

  // Compresses `in` into `out` (replacing it). False if the codec failed or
  // the result would not be smaller than `in` (the batch is then stored as
  // it is).
  bool compress(Compression c, std::span<const uint8_t> in, std::vector<uint8_t>& out);

 private:
  ::ZSTD_CCtx_s* zstd_ = nullptr;  // made at the first zstd batch
};
// Decompresses a stored payload into `out` (replacing it). False, with a short
// reason, for an unknown codec, a length above `max_len`, or bytes that don't
// decompress to exactly the stated length.
bool decompress_payload(Compression c, std::span<const uint8_t> in, size_t max_len, std::vector<uint8_t>& out,
                        const char** why);

}  // namespace ringest
