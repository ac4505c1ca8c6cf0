// `ringest-dump print --format line`: every point the parsers make from the
// conformance vectors, stored (encoded and decoded as the log does), printed
// as line protocol and parsed back by ringest's own `influx` parser, is the
// same point, up to what point_line.h says line protocol cannot hold.
#include "sinks/point_line.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/formats/parser.h"
#include "sinks/record_codec.h"
#include "sinks/segment_format.h"
#include "sinks/utf8.h"
#include "tests/formats/recording_sink.h"
#include "tests/support/json.h"

namespace ringest {
namespace {

using testing::OwnedField;
using testing::OwnedPoint;
using testing::RecordingSink;

// The point as the log stores it and gives it back.
std::string stored_as_line(const OwnedPoint& o) {
  std::vector<Tag> tags;
  for (const auto& [k, v] : o.tags) tags.push_back({k, v});
  std::vector<Field> fields;
  for (const OwnedField& f : o.fields) {
    switch (f.type) {
      case FieldType::kFloat: fields.push_back(Field::float_(f.key, f.f)); break;
      case FieldType::kInt: fields.push_back(Field::int_(f.key, f.i)); break;
      case FieldType::kUint: fields.push_back(Field::uint_(f.key, f.u)); break;
      case FieldType::kString: fields.push_back(Field::string_(f.key, f.s)); break;
      case FieldType::kBool: fields.push_back(Field::bool_(f.key, f.b)); break;
    }
  }
  PointView p{o.measurement, tags, fields, o.time_ns};
  RecordEncoder e;
  e.reset();
  std::vector<uint8_t> buf(e.point_bound(Origin{}, p));
  buf.resize(e.encode_point(buf.data(), 0, Origin{}, p));
  RecordDecoder d;
  d.begin_batch(segfmt::kFormatVersion);
  std::span<const uint8_t> in(buf);
  RecordView r;
  REQUIRE(d.decode(in, r));
  std::string line;
  append_point_line(line, r.point);
  return line;
}

std::string valid_utf8(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = static_cast<uint8_t>(s[i]) < 0x80 ? 1 : utf8_sequence(s, i);
    out += n == 0 ? std::string("\xEF\xBF\xBD") : s.substr(i, n);
    i += n == 0 ? 1 : n;
  }
  return out;
}

std::string with_escaped_newlines(const std::string& s) {
  std::string out;
  for (char c : valid_utf8(s)) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

// What line protocol can say of `o` (point_line.h).
OwnedPoint as_line_protocol(OwnedPoint o) {
  o.measurement = with_escaped_newlines(o.measurement);
  std::stable_sort(o.tags.begin(), o.tags.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> tags;
  for (auto& [k, v] : o.tags) {
    if (!tags.empty() && tags.back().first == with_escaped_newlines(k)) continue;
    tags.emplace_back(with_escaped_newlines(k), v.empty() ? "true" : with_escaped_newlines(v));
  }
  o.tags = tags;
  std::erase_if(o.fields, [](const OwnedField& f) { return f.type == FieldType::kFloat && !std::isfinite(f.f); });
  for (OwnedField& f : o.fields) {
    f.key = with_escaped_newlines(f.key);
    if (f.type == FieldType::kString) f.s = valid_utf8(f.s);
  }
  return o;
}

std::string differs(const OwnedPoint& a, const OwnedPoint& b) {
  if (a.measurement != b.measurement) return "measurement";
  if (a.tags != b.tags) return "tags";
  if (a.time_ns != b.time_ns) return "time";
  if (a.fields.size() != b.fields.size()) return "field count";
  for (size_t i = 0; i < a.fields.size(); ++i) {
    const OwnedField &x = a.fields[i], &y = b.fields[i];
    if (x.key != y.key || x.type != y.type) return "field " + x.key;
    bool same = x.type == FieldType::kFloat    ? x.f == y.f
                : x.type == FieldType::kInt    ? x.i == y.i
                : x.type == FieldType::kUint   ? x.u == y.u
                : x.type == FieldType::kString ? x.s == y.s
                                               : x.b == y.b;
    if (!same) return "field " + x.key + " value";
  }
  return "";
}

std::vector<std::string> inputs(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".jsonl") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string text;
    while (std::getline(in, text)) {
      if (text.empty()) continue;
      auto row = testing::parse_json(text);
      REQUIRE(row.has_value());
      if (const testing::Json* b64 = row->find("input_b64")) {
        auto bytes = testing::decode_base64(b64->str);
        REQUIRE(bytes.has_value());
        out.push_back(*bytes);
      } else if (const testing::Json* s = row->find("input")) {
        out.push_back(s->str);
      }
    }
  }
  return out;
}

TEST_CASE("point line: every format's vector points survive storage, print --format line and parsing back") {
  const std::filesystem::path vectors(RINGEST_VECTORS_DIR);
  auto influx = make_parser("influx", ParserOptions{});
  REQUIRE(influx != nullptr);
  struct Source {
    const char* format;
    const char* folder;
  };
  for (const Source& src : {Source{"statsd", "statsd"}, Source{"influx", "influx-line-protocol"},
                            Source{"graphite", "graphite"}, Source{"syslog", "syslog"}}) {
    auto parser = make_parser(src.format, ParserOptions{});
    REQUIRE(parser != nullptr);
    size_t points = 0;
    for (const std::string& input : inputs(vectors / src.folder)) {
      RecordingSink first;
      parser->parse(input, ParseContext{1'700'000'000'000'000'000}, first);
      for (const OwnedPoint& p : first.points) {
        ++points;
        std::string line = stored_as_line(p);
        RecordingSink back;
        influx->parse(line, ParseContext{0}, back);
        INFO(std::string(src.format) << " input `" << input << "` printed as `" << line << "`");
        REQUIRE(back.rejects.empty());
        REQUIRE(back.points.size() == 1);
        CHECK(differs(back.points[0], as_line_protocol(p)) == "");
      }
    }
    MESSAGE(std::string(src.format) << ": " << points << " points round-tripped");
    CHECK(points >= 5);
  }
}

TEST_CASE("point line: bare tags, repeated keys, sorting and non-finite floats") {
  std::vector<Tag> tags = {{"z", "1"}, {"bare", ""}, {"env", "a"}, {"env", "b"}};
  std::vector<Field> fields = {Field::float_("nan", std::nan("")), Field::float_("v", 1.5),
                               Field::string_("s", "two\nlines \"q\" \\")};
  PointView p{"m", tags, fields, 42};
  std::string out;
  append_point_line(out, p);
  CHECK(out == "m,bare=true,env=a,z=1 v=1.5,s=\"two\nlines \\\"q\\\" \\\\\" 42\n");
}

}  // namespace
}  // namespace ringest
