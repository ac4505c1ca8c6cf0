// ringestd: the command line. Everything else lives in run.cc and below.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "daemon/config.h"
#include "daemon/exit_codes.h"
#include "daemon/logging.h"
#include "daemon/parse_command.h"
#include "daemon/run.h"
#include "daemon/version.h"
#include "rio/engine_factory.h"

int main(int argc, char** argv) {
  using namespace ringest;
  CLI::App app{"ringestd — UDP telemetry ingestion daemon (StatsD/DogStatsD into a checksummed segment log)"};
  std::string config_path, check_path, log_level, log_format = "text";
  bool version = false;
  app.add_option("-c,--config", config_path, "Run with this TOML configuration file")->check(CLI::ExistingFile);
  app.add_option("--check", check_path, "Validate a configuration file and exit (0 valid, 78 invalid)");
  app.add_flag("-V,--version", version, "Print the version and exit");
  app.add_option("--log-level", log_level, "Override [log] level: trace|debug|info|warn|error|critical");
  app.add_option("--log-format", log_format, "Log line format: text (journald priority prefixes under systemd), "
                 "json or logfmt")
      ->check(CLI::IsMember({"text", "json", "logfmt"}))
      ->capture_default_str();
  ParseCommand parse_command(app);
  app.footer(describe_settings());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (rc == 0) return exit_code::kOk;
    return ParseCommand::named_in(argc, argv) ? ParseCommand::kUsage : exit_code::kUsage;
  }
  if (parse_command.selected()) return parse_command.run();

  if (version) {
    std::printf("ringestd %s\n", RINGEST_VERSION);
    return exit_code::kOk;
  }
  if (!check_path.empty()) {
    ConfigResult r = load_config(check_path);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.error.c_str());
      return exit_code::kConfig;
    }
    std::printf("%s: ok\n", check_path.c_str());
    return exit_code::kOk;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "ringestd: --config FILE is required (or --check FILE, --version, --help)\n");
    return exit_code::kUsage;
  }
  ConfigResult r = load_config(config_path);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error.c_str());
    return exit_code::kConfig;
  }
  if (!setup_logging(log_level.empty() ? r.settings->log_level : log_level, log_format)) {
    std::fprintf(stderr, "ringestd: bad --log-level '%s'\n", log_level.c_str());
    return exit_code::kUsage;
  }
  spdlog::info("ringestd {} starting with {}", RINGEST_VERSION, config_path);
  return run_daemon(*r.settings, config_path);
}
