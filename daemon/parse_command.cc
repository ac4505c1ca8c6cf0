#include "daemon/parse_command.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "daemon/formats/parser.h"
#include <nlohmann/json.hpp>

#include "sinks/point_json.h"

namespace ringest {
namespace {

// Prints what the parser finds, one JSON line each, and remembers rejections.
class JsonLinesSink final : public PointSink {
 public:
  void point(const PointView& p) override {
    line_.clear();
    append_point_json(line_, p);
    line_ += '\n';
    std::fwrite(line_.data(), 1, line_.size(), stdout);
  }
  void reject(uint16_t reason, uint32_t line, std::string_view /*text*/) override {
    line_.clear();
    append_json(line_, nlohmann::ordered_json{{"error", reasons_[reason]}, {"line", line}});
    line_ += '\n';
    std::fwrite(line_.data(), 1, line_.size(), stdout);
    rejected_ = true;
  }
  explicit JsonLinesSink(std::span<const std::string_view> reasons) : reasons_(reasons) {}
  bool rejected() const { return rejected_; }

 private:
  std::span<const std::string_view> reasons_;
  std::string line_;
  bool rejected_ = false;
};

bool read_all(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return !std::cin.bad();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

ParseCommand::ParseCommand(CLI::App& app) {
  cmd_ = app.add_subcommand("parse",
                            "Parse datagrams with the daemon's parsers and print one JSON line per point "
                            "or rejected line (exit 0 all parsed, 1 some rejected, 2 usage error)");
  std::vector<std::string> formats;
  for (std::string_view f : known_formats()) formats.emplace_back(f);
  cmd_->add_option("-f,--format", format_, "Wire format")->required()->check(CLI::IsMember(formats));
  cmd_->add_option("--precision", precision_, "Unit of line-protocol timestamps")
      ->check(CLI::IsMember({"ns", "us", "ms", "s"}))
      ->capture_default_str();
  cmd_->add_option("FILE", files_, "One datagram per file, exactly as received; none or - reads stdin");
}

bool ParseCommand::selected() const {
  return cmd_->parsed();
}

bool ParseCommand::named_in(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "parse") == 0) return true;
  }
  return false;
}

int ParseCommand::run() const {
  ParserOptions opts;
  if (!precision_from_name(precision_, opts.precision_ns)) return kUsage;
  std::unique_ptr<Parser> parser = make_parser(format_, opts);
  if (!parser) return kUsage;
  std::vector<std::string> inputs = files_;
  if (inputs.empty()) inputs.emplace_back("-");
  JsonLinesSink sink(parser->reasons());
  std::string datagram;
  for (const std::string& path : inputs) {
    if (!read_all(path, datagram)) {
      std::fprintf(stderr, "ringestd parse: cannot read %s: %s\n", path.c_str(), std::strerror(errno));
      return kUsage;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    parser->parse(datagram, ParseContext{now}, sink);
  }
  std::fflush(stdout);
  return sink.rejected() ? kSomeRejected : kAllParsed;
}

}  // namespace ringest
