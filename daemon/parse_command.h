// `ringestd parse`: what users debug a sender with. It reads one datagram from
// each FILE (or all of stdin), exactly as received, runs the daemon's own
// parser for --format over it and prints one JSON line per point (the shape
// sinks/point_json.h documents) or {"error":"REASON","line":N} per rejected
// line. A point without its own timestamp gets the time of the run.
//
// Exit codes (this subcommand's own, for scripts): 0 every line parsed, 1 at
// least one line was rejected, 2 a usage error (unknown format or precision,
// a FILE that cannot be read).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ringest {

class ParseCommand {
 public:
  static constexpr int kAllParsed = 0;
  static constexpr int kSomeRejected = 1;
  static constexpr int kUsage = 2;

  // Declares the subcommand on `app`.
  explicit ParseCommand(CLI::App& app);
  // Whether the command line chose `parse` (also when it failed to parse).
  bool selected() const;
  static bool named_in(int argc, char** argv);
  // Runs it; returns the exit code.
  int run() const;

 private:
  CLI::App* cmd_;
  std::string format_;
  std::string precision_ = "ns";
  std::vector<std::string> files_;
};

}  // namespace ringest
