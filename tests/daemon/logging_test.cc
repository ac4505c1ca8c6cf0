// Log set-up: a log file in place of stderr, and the system log (the Windows
// Event Log in a service) replaced here by a sink that keeps what it gets.
#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <string>

#include "daemon/logging.h"
#include "tests/support/temp_dir.h"

namespace ringest {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Puts a plain stderr logger back for the tests that follow.
struct RestoreLogger {
  ~RestoreLogger() { setup_logging(LoggingOptions{}); }
};

}  // namespace

TEST_CASE("logging: a file takes every line at the level, the system log only warnings and worse") {
  test::TempDir dir("ringest-logging");
  RestoreLogger restore;
  auto system_log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  LoggingOptions o;
  o.level = "debug";
  o.format = "logfmt";
  o.file = (dir.path() / "ringestd.log").string();
  o.system_log = system_log;
  std::string error;
  REQUIRE_MESSAGE(setup_logging(o, &error), error);
  spdlog::trace("below the level");
  spdlog::debug("a debug line");
  spdlog::info("listener ready");
  spdlog::warn("rcvbuf capped");
  spdlog::error("disk full");

  std::string file = read_file(o.file);  // written through: no flush needed
  CHECK(file.find("below the level") == std::string::npos);
  CHECK(file.find(R"(level=debug msg="a debug line")") != std::string::npos);
  CHECK(file.find(R"(level=info msg="listener ready")") != std::string::npos);
  CHECK(file.find(R"(level=error msg="disk full")") != std::string::npos);

  std::vector<std::string> events = system_log->last_formatted();
  REQUIRE(events.size() == 2);
  CHECK(events[0].find("rcvbuf capped") != std::string::npos);
  CHECK(events[1].find("disk full") != std::string::npos);
}

TEST_CASE("logging: bad options are refused with the reason, and the logger in use stays") {
  test::TempDir dir("ringest-logging");
  RestoreLogger restore;
  auto before = spdlog::default_logger();
  std::string error;
  LoggingOptions o;
  o.format = "xml";
  CHECK_FALSE(setup_logging(o, &error));
  CHECK(error == "unknown log format 'xml'");
  o = LoggingOptions{};
  o.level = "loud";
  CHECK_FALSE(setup_logging(o, &error));
  CHECK(error == "unknown log level 'loud'");
  o = LoggingOptions{};
  o.file = (dir.path() / "missing-dir" / "sub" / "x.log").string();
  std::ofstream(dir.path() / "missing-dir").put('x');  // a file where a directory would have to be
  CHECK_FALSE(setup_logging(o, &error));
  CHECK(error.find("log file") == 0);
  CHECK(spdlog::default_logger() == before);
}

}  // namespace ringest
