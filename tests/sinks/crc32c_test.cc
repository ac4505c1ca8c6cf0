#include "sinks/crc32c.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace ringest {
namespace {

uint32_t both(const void* data, size_t n) {
  uint32_t portable = crc32c::detail::extend_portable(0, data, n);
  if (crc32c::detail::have_hardware()) {
    CHECK(crc32c::detail::extend_hardware(0, data, n) == portable);
  }
  CHECK(crc32c::value(data, n) == portable);
  return portable;
}

TEST_CASE("crc32c: RFC 3720 check value") {
  CHECK(both("123456789", 9) == 0xE3069283u);
}

TEST_CASE("crc32c: RFC 3720 32 bytes of zeros and of ones") {
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF);
  CHECK(both(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(both(ones.data(), ones.size()) == 0x62A8AB43u);
}

TEST_CASE("crc32c: RFC 3720 ascending and descending bytes") {
  std::vector<uint8_t> up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  CHECK(both(up.data(), up.size()) == 0x46DD794Eu);
  CHECK(both(down.data(), down.size()) == 0x113FDB5Cu);
}

TEST_CASE("crc32c: empty input") {
  CHECK(both("", 0) == 0u);
}

TEST_CASE("crc32c: hardware and table paths agree on random data, every length and alignment") {
  std::mt19937_64 rng(42);
  std::vector<uint8_t> buf(4096 + 16);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len : {1, 7, 8, 9, 15, 16, 63, 64, 65, 255, 1000, 4096}) {
      both(buf.data() + align, len);
    }
  }
}

TEST_CASE("crc32c: extend continues a checksum") {
  const char* s = "hello, segment log";
  size_t n = std::strlen(s);
  for (size_t cut = 0; cut <= n; ++cut) {
    CHECK(crc32c::extend(crc32c::value(s, cut), s + cut, n - cut) == crc32c::value(s, n));
  }
}

}  // namespace
}  // namespace ringest
