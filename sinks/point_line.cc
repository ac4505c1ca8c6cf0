#include "sinks/point_line.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "sinks/utf8.h"

namespace ringest {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Appends s[i..] up to the next ASCII byte or invalid sequence if s[i] starts
// valid UTF-8; else U+FFFD for the byte. Returns the bytes consumed.
size_t append_non_ascii(std::string& out, std::string_view s, size_t i) {
  size_t n = utf8_sequence(s, i);
  if (n == 0) {
    out += kReplacement;
    return 1;
  }
  out.append(s.substr(i, n));
  return n;
}

// `s` with each invalid UTF-8 byte as U+FFFD, a backslash before each byte of
// `special`, and (if `newline_as_escape`) newlines as the two bytes "\n".
void append_text(std::string& out, std::string_view s, std::string_view special, bool newline_as_escape) {
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (static_cast<uint8_t>(c) >= 0x80) {
      i += append_non_ascii(out, s, i);
      continue;
    }
    ++i;
    if (c == '\n' && newline_as_escape) {
      out += "\\n";
      continue;
    }
    if (special.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
}

}  // namespace

void append_line_escaped(std::string& out, std::string_view s, std::string_view special) {
  append_text(out, s, special, true);
}

void append_line_string(std::string& out, std::string_view s) {
  out += '"';
  append_text(out, s, "\"\\", false);
  out += '"';
}

void append_point_line(std::string& out, const PointView& p) {
  append_line_escaped(out, p.measurement, ", ");
  thread_local std::vector<const Tag*> tags;
  tags.clear();
  for (const Tag& t : p.tags) tags.push_back(&t);
  std::stable_sort(tags.begin(), tags.end(), [](const Tag* a, const Tag* b) { return a->key < b->key; });
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0 && tags[i]->key == tags[i - 1]->key) continue;  // the first of repeated keys
    out += ',';
    append_line_escaped(out, tags[i]->key, ",= ");
    out += '=';
    if (tags[i]->value.empty()) {
      out += "true";
    } else {
      append_line_escaped(out, tags[i]->value, ",= ");
    }
  }
  char sep = ' ';
  for (const Field& f : p.fields) {
    if (f.type == FieldType::kFloat && !std::isfinite(f.f)) continue;
    out += sep;
    sep = ',';
    append_line_escaped(out, f.key, ",= ");
    out += '=';
    switch (f.type) {
      case FieldType::kFloat: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", f.f);
        out += buf;
        break;
      }
      case FieldType::kInt: out += std::to_string(f.i) + 'i'; break;
      case FieldType::kUint: out += std::to_string(f.u) + 'u'; break;
      case FieldType::kString: append_line_string(out, f.s); break;
      case FieldType::kBool: out += f.b ? "true" : "false"; break;
    }
  }
  out += ' ' + std::to_string(p.time_ns) + '\n';
}

}  // namespace ringest
