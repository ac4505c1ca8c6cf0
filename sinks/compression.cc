#include "sinks/compression.h"

#include <lz4.h>
#include <zstd.h>

#include "sinks/coding.h"

namespace ringest {

namespace {
constexpr size_t kPrefix = 4;  // u32 uncompressed length
constexpr int kZstdLevel = 1;  // the log is write-heavy: the fastest level
}  // namespace

bool parse_compression(std::string_view name, Compression& out) {
  for (size_t i = 0; i < std::size(kCompressionNames); ++i) {
    if (kCompressionNames[i] == name) {
      out = static_cast<Compression>(i);
      return true;
    }
  }
  return false;
}

const char* to_string(Compression c) {
  auto i = static_cast<size_t>(c);
  return i < std::size(kCompressionNames) ? kCompressionNames[i].data() : "?";
}

PayloadCompressor::~PayloadCompressor() { ZSTD_freeCCtx(zstd_); }

bool PayloadCompressor::compress(Compression c, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  if (c == Compression::kNone || in.size() > INT32_MAX) return false;
  if (c == Compression::kZstd && zstd_ == nullptr && (zstd_ = ZSTD_createCCtx()) == nullptr) return false;
  size_t bound = c == Compression::kZstd
                     ? ZSTD_compressBound(in.size())
                     : static_cast<size_t>(LZ4_compressBound(static_cast<int>(in.size())));
  out.resize(kPrefix + bound);
  coding::put_u32(out.data(), static_cast<uint32_t>(in.size()));
  size_t n = 0;
  if (c == Compression::kZstd) {
    n = ZSTD_compressCCtx(zstd_, out.data() + kPrefix, bound, in.data(), in.size(), kZstdLevel);
    if (ZSTD_isError(n)) return false;
  } else {
    int r = LZ4_compress_default(reinterpret_cast<const char*>(in.data()),
                                 reinterpret_cast<char*>(out.data() + kPrefix), static_cast<int>(in.size()),
                                 static_cast<int>(bound));
    if (r <= 0) return false;
    n = static_cast<size_t>(r);
  }
  out.resize(kPrefix + n);
  return out.size() < in.size();
}

bool decompress_payload(Compression c, std::span<const uint8_t> in, size_t max_len, std::vector<uint8_t>& out,
                        const char** why) {
  if (in.size() < kPrefix) return (*why = "compressed payload too short"), false;
  uint32_t len = coding::get_u32(in.data());
  if (len > max_len) return (*why = "uncompressed length above the maximum"), false;
  out.resize(len);
  std::span<const uint8_t> body = in.subspan(kPrefix);
  if (c == Compression::kZstd) {
    size_t n = ZSTD_decompress(out.data(), len, body.data(), body.size());
    if (ZSTD_isError(n) || n != len) return (*why = "zstd payload does not decompress"), false;
    return true;
  }
  if (c == Compression::kLz4) {
    if (body.size() > INT32_MAX) return (*why = "lz4 payload does not decompress"), false;
    int n =
        LZ4_decompress_safe(reinterpret_cast<const char*>(body.data()), reinterpret_cast<char*>(out.data()),
                            static_cast<int>(body.size()), static_cast<int>(len));
    if (n < 0 || static_cast<uint32_t>(n) != len) return (*why = "lz4 payload does not decompress"), false;
    return true;
  }
  *why = "unknown compression";
  return false;
}

}  // namespace ringest
