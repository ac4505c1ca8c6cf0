#include <doctest/doctest.h>

#include <algorithm>

#include "daemon/formats/parser.h"

namespace ringest {
namespace {

TEST_CASE("registry: statsd is known and makes a statsd parser") {
  auto names = known_formats();
  CHECK(std::find(names.begin(), names.end(), "statsd") != names.end());
  auto p = make_parser("statsd", ParserOptions{});
  REQUIRE(p != nullptr);
  CHECK(p->format() == "statsd");
}

TEST_CASE("registry: every known format can be made and names itself") {
  for (std::string_view name : known_formats()) {
    auto p = make_parser(name, ParserOptions{});
    REQUIRE(p != nullptr);
    CHECK(p->format() == name);
    CHECK(!p->reasons().empty());
  }
}

TEST_CASE("registry: unknown format gives nullptr") {
  CHECK(make_parser("carrier-pigeon", ParserOptions{}) == nullptr);
  CHECK(make_parser("", ParserOptions{}) == nullptr);
  CHECK(make_parser("StatsD", ParserOptions{}) == nullptr);
}

}  // namespace
}  // namespace ringest
