// ringestd: the command line. Everything else lives in run.cc and below.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "daemon/config.h"
#include "daemon/exit_codes.h"
#include "daemon/logging.h"
#include "daemon/parse_command.h"
#include "daemon/process_stats.h"
#include "daemon/run.h"
#include "daemon/service_host.h"
#include "daemon/version.h"
#include "rio/engine_factory.h"

int main(int argc, char** argv) {
  using namespace ringest;
  CLI::App app{"ringestd — UDP telemetry ingestion daemon (StatsD/DogStatsD into a checksummed segment log)"};
  // Options start with '-' on Windows too: "/data/x.toml" is a path.
  app.allow_windows_style_options(false);
  std::string config_path, check_path, config_dir, log_level, log_format = "text", log_file;
  bool version = false;
  // Checked by the loader, so a missing file exits 78 with the same message as --check.
  app.add_option("-c,--config", config_path, "Run with this TOML configuration file");
  app.add_option("--check", check_path, "Validate a configuration file and exit (0 valid, 78 invalid)");
  app.add_option("--config-dir", config_dir,
                 "Merge every *.toml here, in name order, after the configuration file (default: conf.d beside "
                 "it, when it exists)");
  app.add_flag("-V,--version", version, "Print the version and exit");
  app.add_option("--log-level", log_level, "Override [log] level: trace|debug|info|warn|error|critical");
  app.add_option("--log-format", log_format, "Log line format: text (journald priority prefixes under systemd), "
                 "json or logfmt")
      ->check(CLI::IsMember({"text", "json", "logfmt"}))
      ->capture_default_str();
  app.add_option("--log-file", log_file, "Log to this file (rotated at 64 MiB, 3 kept) instead of stderr");
  ParseCommand parse_command(app);
  ServiceCommand service_command(app);
  app.footer(describe_settings());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (rc == 0) return exit_code::kOk;
    return ParseCommand::named_in(argc, argv) ? ParseCommand::kUsage : exit_code::kUsage;
  }
  if (parse_command.selected()) return parse_command.run();
  if (service_command.selected()) return service_command.run();

  if (version) {
    std::printf("ringestd %s\n", RINGEST_VERSION);
    return exit_code::kOk;
  }
  if (!check_path.empty()) {
    ConfigResult r = load_config(check_path, config_dir);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.error.c_str());
      return exit_code::kConfig;
    }
    std::printf("%s: ok", check_path.c_str());
    if (r.files.size() > 1) {
      std::printf(" (with");
      for (size_t i = 1; i < r.files.size(); ++i) std::printf(" %s", r.files[i].c_str());
      std::printf(")");
    }
    std::printf("\n");
    return exit_code::kOk;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "ringestd: --config FILE is required (or --check FILE, --version, --help)\n");
    return exit_code::kUsage;
  }

  // A service has no console: it logs to its file (and warnings to the system
  // log) from the first line on, so even a bad configuration is reported.
  const bool as_service = started_by_service_manager();
  if (as_service) {
    // A service starts in the system directory: relative paths in its
    // configuration (storage.dir) mean the configuration's own directory.
    std::error_code ec;
    std::filesystem::path config = std::filesystem::absolute(config_path, ec);
    if (!config_dir.empty()) config_dir = std::filesystem::absolute(config_dir, ec).string();
    std::filesystem::current_path(config.parent_path(), ec);
    config_path = config.string();
  }
  LoggingOptions log{log_level.empty() ? "info" : log_level, log_format, log_file,
                 64 << 20, 3, as_service ? system_log_sink("ringestd") : nullptr};
  std::string log_error;
  if ((as_service || !log_file.empty()) && !setup_logging(log, &log_error)) {
    if (!as_service) {
      std::fprintf(stderr, "ringestd: %s\n", log_error.c_str());
      return exit_code::kUsage;
    }
    // The service manager must still hear the failure, and the system log
    // says why (the log file is what failed).
    setup_logging(LoggingOptions{.system_log = log.system_log});
    spdlog::critical("ringestd: {}", log_error);
    return run_as_service([] { return exit_code::kUsage; });
  }
  auto daemon = [&]() -> int {
    ConfigResult r = load_config(config_path, config_dir);
    if (!r.ok()) {
      if (as_service) spdlog::critical("{}", r.error);
      else std::fprintf(stderr, "%s\n", r.error.c_str());
      return exit_code::kConfig;
    }
    if (log_level.empty()) log.level = r.settings->log_level;
    if (!setup_logging(log, &log_error)) {
      std::fprintf(stderr, "ringestd: %s\n", log_error.c_str());
      return exit_code::kUsage;
    }
    std::string with;
    for (size_t i = 1; i < r.files.size(); ++i) with += (i == 1 ? " and " : ", ") + r.files[i];
    spdlog::info("ringestd {} starting with {}{}{}", RINGEST_VERSION, config_path, with, as_service ? " as a service" : "");
    if (uint64_t fds = raise_open_file_limit(); fds > 0) spdlog::debug("open files limit {}", fds);
    return run_daemon(*r.settings, ConfigSource{config_path, config_dir});
  };
  return as_service ? run_as_service(daemon) : daemon();
}
