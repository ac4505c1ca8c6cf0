// The listener catalog: stable ids per (name, format), across reopenings, with
// a torn last line cut and a damaged line skipped, reported and never reused.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sinks/listener_catalog.h"
#include "tests/support/temp_dir.h"

namespace ringest {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

uint16_t id_of(ListenerCatalog& c, const std::string& name, const std::string& format) {
  uint16_t id = 0xffff;
  REQUIRE(c.id_for(name, format, id).ok());
  return id;
}

}  // namespace

TEST_CASE("listener catalog: one id per name and format, the same after reopening, in any order") {
  test::TempDir dir;
  ListenerCatalog c;
  REQUIRE(ListenerCatalog::open(dir.path(), false, c, nullptr).ok());
  CHECK(c.first_id() == 0);
  CHECK(id_of(c, "statsd", "statsd") == 0);
  CHECK(id_of(c, "syslog", "syslog") == 1);
  CHECK(id_of(c, "statsd", "statsd") == 0);
  CHECK(id_of(c, "statsd", "influx") == 2);  // same name, other format: another listener

  ListenerCatalog again;
  std::vector<std::string> damage;
  REQUIRE(ListenerCatalog::open(dir.path(), false, again, &damage).ok());
  CHECK(damage.empty());
  CHECK(id_of(again, "syslog", "syslog") == 1);
  CHECK(id_of(again, "statsd", "influx") == 2);
  CHECK(id_of(again, "graphite", "graphite") == 3);
  REQUIRE(again.find(1) != nullptr);
  CHECK(again.find(1)->name == "syslog");
  CHECK(again.find(1)->format == "syslog");
  CHECK(again.find(9) == nullptr);

  ListenerCatalog reader;
  REQUIRE(ListenerCatalog::read(dir.path(), reader, nullptr).ok());
  CHECK(reader.entries().size() == 4);
}

TEST_CASE("listener catalog: a torn last line is cut, a damaged one skipped and reported, no id reused") {
  test::TempDir dir;
  const auto path = dir.path() / ListenerCatalog::kFileName;
  {
    ListenerCatalog c;
    REQUIRE(ListenerCatalog::open(dir.path(), false, c, nullptr).ok());
    id_of(c, "a", "statsd");
    id_of(c, "b", "statsd");
    id_of(c, "c", "statsd");
  }
  const std::string whole = slurp(path);

  SUBCASE("torn") {
    spit(path, whole + "0badc0de {\"id\":3,\"na");
    ListenerCatalog c;
    std::vector<std::string> damage;
    REQUIRE(ListenerCatalog::open(dir.path(), false, c, &damage).ok());
    CHECK(damage.size() == 1);
    CHECK(slurp(path) == whole);  // cut back to the last whole line
    CHECK(id_of(c, "d", "statsd") == 3);
    ListenerCatalog reread;
    damage.clear();
    REQUIRE(ListenerCatalog::read(dir.path(), reread, &damage).ok());
    CHECK(damage.empty());
    CHECK(reread.find(3)->name == "d");
  }
  SUBCASE("a flipped byte in every position of an entry") {
    const size_t b_at = whole.find("\"b\"");
    const size_t line_start = whole.rfind('\n', b_at) + 1, line_end = whole.find('\n', b_at);
    for (size_t at = line_start; at < line_end; ++at) {
      std::string bad = whole;
      bad[at] ^= 0x01;
      spit(path, bad);
      ListenerCatalog c;
      std::vector<std::string> damage;
      REQUIRE(ListenerCatalog::read(dir.path(), c, &damage).ok());
      INFO("flipped byte " << at);
      CHECK(damage.size() == 1);
      CHECK(c.find(1) == nullptr);       // b's entry is not trusted
      CHECK(c.find(0)->name == "a");     // the others are kept
      CHECK(c.find(2)->name == "c");
      CHECK(id_of(c, "new", "statsd") == 3);  // b's id is not handed out again
    }
  }
}

TEST_CASE("listener catalog: made over segments from before catalogs, ids start past what they could use") {
  test::TempDir dir;
  ListenerCatalog c;
  REQUIRE(ListenerCatalog::open(dir.path(), true, c, nullptr).ok());
  CHECK(c.first_id() == ListenerCatalog::kFirstIdOverOldData);
  CHECK(id_of(c, "statsd", "statsd") == ListenerCatalog::kFirstIdOverOldData);
  CHECK(c.find(0) == nullptr);
  ListenerCatalog again;  // and it stays so once the file exists
  REQUIRE(ListenerCatalog::open(dir.path(), false, again, nullptr).ok());
  CHECK(id_of(again, "statsd", "statsd") == ListenerCatalog::kFirstIdOverOldData);
}

}  // namespace ringest
