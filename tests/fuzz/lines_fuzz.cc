// libFuzzer target for LineCursor, the datagram line splitter: the lines it
// returns, with the '\n' (and a dropped '\r') between them, add up to the
// datagram; every line is inside it; numbers run 1, 2, 3, ...
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/formats/lines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view d(reinterpret_cast<const char*>(data), size);
  ringest::LineCursor lines(d);
  std::string_view line;
  uint32_t n = 0, expect = 0;
  size_t pos = 0;
  while (lines.next(line, n)) {
    if (n != ++expect) std::abort();
    if (line.data() != d.data() + pos || line.find('\n') != std::string_view::npos) std::abort();
    pos += line.size();
    if (pos < size && d[pos] == '\r') ++pos;  // the '\r' dropped before '\n' or the end
    if (pos < size) {
      if (d[pos] != '\n') std::abort();
      ++pos;
    }
  }
  if (pos != size) std::abort();
  if (size > 0 && expect == 0) std::abort();
  return 0;
}
