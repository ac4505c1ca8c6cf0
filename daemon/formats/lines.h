// LineCursor: walks the lines of one datagram for the line-oriented formats
// (StatsD, Graphite). Lines end at '\n'; one '\r' before a '\n' or at the end
// of the datagram is dropped; the last line needs no terminator. Empty lines
// are returned too (callers skip them) so that line numbers count every
// physical line, 1-based, the way PointSink::reject() reports them.
//
// A cursor is a view over the datagram: it never copies and never allocates.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ringest {

class LineCursor {
 public:
  explicit LineCursor(std::string_view datagram) : rest_(datagram), more_(!datagram.empty()) {}

  // The next line and its number; false once every line has been returned.
  bool next(std::string_view& line, uint32_t& line_no) {
    if (!more_) return false;
    const void* hit = rest_.empty() ? nullptr : std::memchr(rest_.data(), '\n', rest_.size());
    if (hit == nullptr) {
      line = rest_;
      rest_ = {};
      more_ = false;
    } else {
      size_t n = static_cast<const char*>(hit) - rest_.data();
      line = rest_.substr(0, n);
      rest_.remove_prefix(n + 1);
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line_no = ++line_no_;
    return true;
  }

 private:
  std::string_view rest_;
  uint32_t line_no_ = 0;
  bool more_;
};

}  // namespace ringest
