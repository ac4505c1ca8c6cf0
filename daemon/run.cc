#include "daemon/run.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include "daemon/exit_codes.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"

namespace ringest {
namespace {

constexpr int kDrainMs = 5000;

int exit_code_for(Pipeline::Failure::Kind kind) {
  switch (kind) {
    case Pipeline::Failure::kSocket: return exit_code::kOsErr;
    case Pipeline::Failure::kStorage: return exit_code::kIoErr;
    default: return exit_code::kSoftware;
  }
}

}  // namespace

int run_daemon(const Settings& settings) {
  // Signals are taken synchronously by this thread alone: block them before
  // any other thread exists so every thread inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  Pipeline::Failure failure;
  std::unique_ptr<Pipeline> pipeline = Pipeline::start(settings, failure);
  if (!pipeline) {
    spdlog::critical("{}", failure.message);
    return exit_code_for(failure.kind);
  }
  MetricsServer metrics;
  if (!settings.metrics_listen.empty()) {
    if (Status st = metrics.start(settings.metrics_listen, *pipeline); !st) {
      spdlog::critical("{}", st.message());
      pipeline->stop(0);
      return exit_code::kOsErr;
    }
    spdlog::info("metrics on http://{}:{}/metrics", settings.metrics_listen.substr(0, settings.metrics_listen.rfind(':')),
                 metrics.port());
  }
  spdlog::info("ready");

  for (;;) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::warn("SIGHUP: live reload is not available in this version; the configuration is unchanged");
      continue;
    }
    spdlog::info("{}: draining", sig == SIGINT ? "SIGINT" : "SIGTERM");
    break;
  }
  Status st = pipeline->stop(kDrainMs);
  if (!st) {
    spdlog::error("drain: {}", st.message());
    return exit_code::kIoErr;
  }
  spdlog::info("stopped: everything received was written and synced");
  return exit_code::kOk;
}

}  // namespace ringest
