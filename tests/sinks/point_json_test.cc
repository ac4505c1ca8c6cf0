#include "sinks/point_json.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace ringest {
namespace {

std::string js(std::string_view s) {
  std::string out;
  append_json(out, nlohmann::ordered_json(std::string(s)));
  return out;
}

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

TEST_CASE("point json: string escaping") {
  CHECK(js("plain") == "\"plain\"");
  CHECK(js("q\"b\\") == "\"q\\\"b\\\\\"");
  CHECK(js("\n\r\t\b\f") == "\"\\n\\r\\t\\b\\f\"");
  CHECK(js(std::string_view("\x00\x01\x1f", 3)) == "\"\\u0000\\u0001\\u001f\"");
  CHECK(js("\x7f") == "\"\x7f\"");
}

TEST_CASE("point json: valid UTF-8 kept, invalid bytes replaced by U+FFFD") {
  CHECK(js("\xc3\xa9") == "\"\xc3\xa9\"");                  // é
  CHECK(js("\xe2\x82\xac") == "\"\xe2\x82\xac\"");          // €
  CHECK(js("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");  // emoji
  const std::string r(kReplacement);
  CHECK(js("\xff") == "\"" + r + "\"");
  CHECK(js("\xc3") == "\"" + r + "\"");  // truncated sequence
  for (std::string_view bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {  // overlong, surrogate, past U+10FFFF
    std::string out = js(bad);
    CHECK_MESSAGE(out.find(r) != std::string::npos, out);
    CHECK(nlohmann::json::accept(out));
  }
  std::string mixed = js("a\xe2\x82z");
  CHECK(mixed.front() == '"');
  CHECK(mixed.substr(1, 1) == "a");
  CHECK(mixed.find(r) == 2);
  CHECK(mixed.substr(mixed.size() - 2) == "z\"");
}

TEST_CASE("point json: a whole point, tags sorted by key, typed fields") {
  Tag tags[] = {{"host", "a"}, {"dc", "x"}, {"host", "b"}};
  Field fields[] = {Field::float_("f", 0.1),  Field::float_("g", 1e300),
                    Field::int_("i", -5),     Field::uint_("u", std::numeric_limits<uint64_t>::max()),
                    Field::string_("s", "v"), Field::bool_("b", false)};
  PointView p{"m", tags, fields, -3};
  std::string out;
  append_point_json(out, p);
  CHECK(out ==
        "{\"measurement\":\"m\",\"tags\":[[\"dc\",\"x\"],[\"host\",\"a\"],[\"host\",\"b\"]],"
        "\"fields\":[{\"key\":\"f\",\"type\":\"float\",\"value\":0.1},"
        "{\"key\":\"g\",\"type\":\"float\",\"value\":1e+300},"
        "{\"key\":\"i\",\"type\":\"int\",\"value\":\"-5\"},"
        "{\"key\":\"u\",\"type\":\"uint\",\"value\":\"18446744073709551615\"},"
        "{\"key\":\"s\",\"type\":\"string\",\"value\":\"v\"},"
        "{\"key\":\"b\",\"type\":\"bool\",\"value\":false}],\"time_ns\":-3}");
}

TEST_CASE("point json: non-finite floats become strings") {
  Field fields[] = {Field::float_("n", std::nan("")),
                    Field::float_("p", std::numeric_limits<double>::infinity()),
                    Field::float_("m", -std::numeric_limits<double>::infinity())};
  PointView p{"m", {}, fields, 0};
  std::string out;
  append_point_json(out, p);
  CHECK(out.find("\"value\":\"NaN\"") != std::string::npos);
  CHECK(out.find("\"value\":\"+Inf\"") != std::string::npos);
  CHECK(out.find("\"value\":\"-Inf\"") != std::string::npos);
}

TEST_CASE("point json: origin members") {
  Origin o;
  o.listener = 4;
  o.source.family = SourceAddress::kIPv4;
  o.source.addr[0] = 127;
  o.source.addr[3] = 1;
  o.source.port = 8125;
  o.receive_ns = 99;
  nlohmann::ordered_json obj = nlohmann::ordered_json::object();
  add_origin_members(obj, o);
  std::string out;
  append_json(out, obj);
  CHECK(out == "{\"listener\":4,\"source\":\"127.0.0.1:8125\",\"receive_ns\":99}");
}

}  // namespace
}  // namespace ringest
