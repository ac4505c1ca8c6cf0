// ringest-loadgen's payloads: shape per format, sequence numbers where the
// format carries them, cardinality bounds, determinism, and the mix.
#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tools/loadgen/formats.h"

using namespace ringest::loadgen;

namespace {

constexpr int64_t kWall = 1'764'115'200'123'456'789;  // 2025-11-26T00:00:00.123456789Z

std::string datagram(Format f, uint64_t seq, uint32_t lines, Vocabulary v = {}) {
  std::string out;
  append_datagram(f, v, seq, lines, kWall, out);
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("each format's lines have its shape and carry the sequence number") {
  const std::map<Format, std::regex> shape = {
      {Format::kStatsd,
       std::regex(R"(^[a-z_.0-9]+:[^|]+\|(c|g|ms|h|s|d)(\|@0\.1)?\|#host:host-\d{3},region:[a-z0-9-]+,)"
                  R"(env:\w+,endpoint:[/a-z0-9]+,seq:4242,line:\d+$)")},
      {Format::kStatsdPlain, std::regex(R"(^[a-z_.0-9]+:[^|#]+\|(c|g|ms|s)(\|@0\.1)?$)")},
      {Format::kStatsdCounters, std::regex(R"(^[a-z_.0-9]+:[1-5]\|c(\|@0\.1)?$)")},
      {Format::kInflux,
       std::regex(R"(^[a-z]+_[a-z]+,host=host-\d{3},region=[a-z0-9-]+,env=\w+,seq=4242,line=\d+ )"
                  R"([a-z_0-9]+=\d+\.\d+,count=\d+i,ok=(true|false) 1764115200123456789$)")},
      {Format::kGraphite,
       std::regex(R"(^[a-z_.0-9]+;host=host-\d{3};region=[a-z0-9-]+;seq=4242;line=\d+ \d+\.\d )"
                  R"(1764115200$)")},
      {Format::kSyslog5424,
       std::regex(R"(^<\d{1,3}>1 2025-11-26T00:00:00\.123456Z host-\d{3} [a-z]+ \d+ access )"
                  R"(\[seq@32473 n="4242"\]\[req@32473 [^\]]+\] GET \S+ \d{3} \d+ms user=u\d+$)")},
      {Format::kSyslog3164,
       std::regex(R"(^<\d{1,3}>Nov 26 00:00:00 host-\d{3} [a-z]+\[\d+\]: seq=4242 GET \S+ \d{3} )"
                  R"(\d+ms user=u\d+$)")},
  };
  for (const auto& [f, re] : shape) {
    CAPTURE(format_name(f));
    const auto lines = split_lines(datagram(f, 4242, 7));
    CHECK(lines.size() == (multi_line(f) ? 7u : 1u));
    for (const std::string& l : lines) {
      CAPTURE(l);
      CHECK(std::regex_search(l, re));
    }
  }
}

TEST_CASE("names and hosts stay within the configured cardinality and spread over it") {
  std::set<std::string> names, hosts;
  const Vocabulary v{30, 5};
  const std::regex re(R"(^([^:]+):.*#host:(host-\d+),)");
  for (uint64_t seq = 0; seq < 3000; ++seq) {
    for (const std::string& l : split_lines(datagram(Format::kStatsd, seq, 1, v))) {
      std::smatch m;
      REQUIRE(std::regex_search(l, m, re));
      names.insert(m[1]);
      hosts.insert(m[2]);
    }
  }
  CHECK(names.size() == 30);
  CHECK(hosts.size() == 5);
  std::set<std::string> big;
  for (uint64_t seq = 0; seq < 20000; ++seq)
    big.insert(split_lines(datagram(Format::kStatsdPlain, seq, 1, {1000, 1}))[0].substr(0, 40));
  CHECK(big.size() > 900);  // past the 168-name vocabulary, suffixed names keep them distinct
}

TEST_CASE("the same options give the same bytes") {
  for (const auto& [name, f] : kFormats) CHECK(datagram(f, 77, 3) == datagram(f, 77, 3));
  CHECK(datagram(Format::kStatsd, 1, 1) != datagram(Format::kStatsd, 2, 1));
}

TEST_CASE("a mix follows its weights and rejects bad specs") {
  Mix m;
  REQUIRE(m.parse("statsd=70,influx=20,syslog5424=10").empty());
  std::map<Format, int> n;
  for (uint64_t seq = 0; seq < 100000; ++seq) ++n[m.pick(seq)];
  CHECK(n.size() == 3);
  CHECK(n[Format::kStatsd] == doctest::Approx(70000).epsilon(0.02));
  CHECK(n[Format::kInflux] == doctest::Approx(20000).epsilon(0.05));
  CHECK(n[Format::kSyslog5424] == doctest::Approx(10000).epsilon(0.05));
  CHECK_FALSE(m.parse("statsd").empty());
  CHECK_FALSE(m.parse("bogus=3").empty());
  CHECK_FALSE(m.parse("statsd=0").empty());
  CHECK_FALSE(m.parse("statsd=x").empty());
  CHECK_FALSE(m.parse("").empty());
}
