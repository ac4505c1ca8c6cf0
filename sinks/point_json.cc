#include "sinks/point_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sinks/utf8.h"

namespace ringest {
namespace {

void append_escaped_byte(std::string& out, uint8_t c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

template <typename T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void append_float(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"+Inf\"" : "\"-Inf\"";
  } else {
    append_number(out, v);  // shortest round-trip form
  }
}

const char* type_name(FieldType t) {
  switch (t) {
    case FieldType::kFloat: return "float";
    case FieldType::kInt: return "int";
    case FieldType::kUint: return "uint";
    case FieldType::kString: return "string";
    case FieldType::kBool: return "bool";
  }
  return "unknown";
}

void append_field(std::string& out, const Field& f) {
  out += "{\"key\":";
  append_json_string(out, f.key);
  out += ",\"type\":\"";
  out += type_name(f.type);
  out += "\",\"value\":";
  switch (f.type) {
    case FieldType::kFloat: append_float(out, f.f); break;
    case FieldType::kInt:
      out += '"';
      append_number(out, f.i);
      out += '"';
      break;
    case FieldType::kUint:
      out += '"';
      append_number(out, f.u);
      out += '"';
      break;
    case FieldType::kString: append_json_string(out, f.s); break;
    case FieldType::kBool: out += f.b ? "true" : "false"; break;
  }
  out += '}';
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) {
      size_t n = utf8_sequence(s, i);
      if (n == 0) {
        append_escaped_byte(out, c);
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          append_escaped_byte(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void append_point_members(std::string& out, const PointView& p) {
  out += "\"measurement\":";
  append_json_string(out, p.measurement);
  out += ",\"tags\":[";
  std::vector<const Tag*> tags;
  tags.reserve(p.tags.size());
  for (const Tag& t : p.tags) tags.push_back(&t);
  std::stable_sort(tags.begin(), tags.end(), [](const Tag* a, const Tag* b) { return a->key < b->key; });
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i) out += ',';
    out += '[';
    append_json_string(out, tags[i]->key);
    out += ',';
    append_json_string(out, tags[i]->value);
    out += ']';
  }
  out += "],\"fields\":[";
  for (size_t i = 0; i < p.fields.size(); ++i) {
    if (i) out += ',';
    append_field(out, p.fields[i]);
  }
  out += "],\"time_ns\":";
  append_number(out, p.time_ns);
}

void append_point_json(std::string& out, const PointView& p) {
  out += '{';
  append_point_members(out, p);
  out += '}';
}

void append_origin_members(std::string& out, const Origin& o) {
  out += "\"listener\":";
  append_number(out, o.listener);
  out += ",\"source\":";
  append_json_string(out, o.source.to_string());
  out += ",\"receive_ns\":";
  append_number(out, o.receive_ns);
}

}  // namespace ringest
