// Every registered format parses without touching the heap once it is warm:
// each parser gets a datagram with the features that could tempt an
// allocation (escapes to unescape, many tags and fields, structured data,
// events, rejected lines) and is run a hundred more times while operator new
// is counted. A format added to the registry without a sample here fails.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>

#include "daemon/formats/parser.h"
#include "tests/formats/counting_allocator.h"

namespace ringest {
namespace {

// Counts, keeps nothing, and never allocates itself.
class CountingSink final : public PointSink {
 public:
  void point(const PointView& p) override {
    ++points;
    for (const Field& f : p.fields) bytes += f.key.size() + (f.type == FieldType::kString ? f.s.size() : 8);
    for (const Tag& t : p.tags) bytes += t.key.size() + t.value.size();
  }
  void reject(uint16_t, uint32_t, std::string_view text) override {
    ++rejects;
    bytes += text.size();
  }
  size_t points = 0, rejects = 0, bytes = 0;
};

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

const std::map<std::string_view, std::string>& samples() {
  static const std::map<std::string_view, std::string> m = {
      {"statsd", repeat("api.latency:12.5:13:14|d|@0.5|#env:prod,region:eu,canary|T1700000000|c:abc\n"
                        "g:+3|g\nbad line\n_e{5,12}:title|text\\nline 2|p:low|#a:b\n"
                        "_sc|check|2|h:web|m:down\\nhard\n",
                        20)},
      {"influx", repeat("cpu\\ load,host=web\\,1,region=eu\\=west usage=0.5,count=3i,ok=true,"
                        "msg=\"quoted \\\"text\\\" \\\\ here\",n=7u 1700000000000000000\n"
                        "# comment\nbad line\nmem free=1\n",
                        20)},
      {"graphite", repeat("servers.web1.cpu 0.5 1700000000\ntagged;env=prod;dc=eu 1 -1\nbad\nx nan 1\n", 20)},
      {"syslog",
       "<165>1 2003-10-11T22:14:15.003Z host app 1234 ID47 "
       "[exampleSDID@32473 iut=\"3\" eventSource=\"Ap\\]p\"][flag][o a=\"\\\"q\\\"\"] message"},
      {"rfc5424", "<165>1 - host app - - [a b=\"c\\\\d\" e=\"f\"][g h=\"i\"] message"},
      {"rfc3164", "<34>Oct 11 22:14:15 mymachine su[42]: 'su root' failed for lonvick"},
  };
  return m;
}

TEST_CASE("formats: no heap allocation per datagram in steady state") {
  for (std::string_view format : known_formats()) {
    CAPTURE(format);
    auto it = samples().find(format);
    REQUIRE_MESSAGE(it != samples().end(), "no allocation sample for format " << format);
    std::unique_ptr<Parser> parser = make_parser(format, ParserOptions{});
    REQUIRE(parser);
    CountingSink sink;
    parser->parse(it->second, ParseContext{1}, sink);  // warm up
    REQUIRE(sink.points > 0);
    testing::start_counting();
    for (int i = 0; i < 100; ++i) parser->parse(it->second, ParseContext{1}, sink);
    CHECK(testing::stop_counting() == 0);
  }
}

}  // namespace
}  // namespace ringest
