#include "daemon/run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/clock.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/exit_codes.h"
#include "daemon/logging.h"
#include "daemon/http_server.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"
#include "daemon/service_notify.h"

namespace ringest {
namespace {

constexpr int kDrainMs = 5000;
constexpr int64_t kCloseReserveMs = 2000;  // of a limited grace: closing and syncing the log

int exit_code_for(Pipeline::Failure::Kind kind) {
  switch (kind) {
    case Pipeline::Failure::kSocket: return exit_code::kOsErr;
    case Pipeline::Failure::kStorage: return exit_code::kIoErr;
    case Pipeline::Failure::kOutput: return exit_code::kConfig;
    default: return exit_code::kSoftware;
  }
}

void reload(const ConfigSource& config, Pipeline& pipeline, DaemonStatus& status, ServiceNotifier& notify) {
  notify.reloading();
  status.reloads.fetch_add(1);
  ConfigResult r = load_config(config.path, config.dir);
  if (!r.ok()) {
    // The running configuration stays in force.
    spdlog::error("reload: {} (the running configuration is unchanged)", r.error);
    status.last_reload_ok.store(false);
    status.reload_failures.fetch_add(1);
    notify.ready("reload failed; running the previous configuration");
    return;
  }
  std::vector<std::string> restart_needed;
  Status st = pipeline.reload(*r.settings, restart_needed);
  for (const std::string& key : restart_needed)
    spdlog::warn("reload: {} changed; it takes effect only after a restart", key);
  set_log_level(r.settings->log_level);
  status.last_reload_ok.store(st.ok());
  if (st) {
    status.last_reload_success_unix.store(double(wall_ns()) / 1e9);
    std::string with;
    for (size_t i = 1; i < r.files.size(); ++i) with += (i == 1 ? " and " : ", ") + r.files[i];
    spdlog::info("reload: applied {}{}", config.path, with);
  } else {
    spdlog::error("reload: not applied in full: {}", st.message());
    status.reload_failures.fetch_add(1);
  }
  notify.ready(st ? "running" : "reload incomplete: " + st.message());
}

}  // namespace

int run_daemon(const Settings& settings, const ConfigSource& config) {
  // Stop and reload requests are taken by this thread alone: take them over
  // before any other thread exists.
  ControlRequests control;
  ServiceNotifier notify;
  DaemonStatus status;
  // The HTTP endpoint comes up first, so /-/ready answers 503 until the
  // listeners are bound and the log is open.
  HttpServer http(status);
  if (!settings.metrics_listen.empty()) {
    if (Status st = http.start(settings.metrics_listen); !st) {
      spdlog::critical("{}", st.message());
      return exit_code::kOsErr;
    }
    spdlog::info("metrics on http://{}:{}/metrics", settings.metrics_listen.substr(0, settings.metrics_listen.rfind(':')),
                 http.port());
  }

  Pipeline::Failure failure;
  std::unique_ptr<Pipeline> pipeline = Pipeline::start(settings, failure);
  if (!pipeline) {
    spdlog::critical("{}", failure.message);
    return exit_code_for(failure.kind);
  }
  http.set_pipeline(pipeline.get());
  status.ready.store(true);
  status.last_reload_success_unix.store(double(wall_ns()) / 1e9);
  notify.ready("running");
  spdlog::info("ready");

  const int64_t watchdog_ms = notify.watchdog_interval_ms();
  bool pinging = true;
  for (;;) {
    // The watchdog is pinged only while every stage makes progress: a stuck
    // receiver, shard or disk stops the pings, and the service manager
    // restarts the daemon (WatchdogSec later).
    if (watchdog_ms > 0) {
      const std::string stuck = pipeline->stalled(mono_ns(), watchdog_ms * 1'000'000);
      if (stuck.empty()) {
        notify.watchdog();
        if (!pinging) spdlog::warn("watchdog: every stage makes progress again; pinging again");
      } else if (pinging) {
        spdlog::error("watchdog: not pinging: {}", stuck);
      }
      pinging = stuck.empty();
    }
    ControlRequest request = control.wait(watchdog_ms > 0 ? watchdog_ms : -1);
    if (request == ControlRequest::kNone) continue;  // time for the next watchdog ping
    if (request == ControlRequest::kReload) {
      spdlog::info("{}: reloading {}", control.source(), config.path);
      reload(config, *pipeline, status, notify);
      continue;
    }
    spdlog::info("{}: draining", control.source());
    break;
  }
  status.draining.store(true);
  notify.stopping();
  // Whoever asked may end the process soon (a closing console): drain for
  // less, so the log is still closed and synced in time.
  int64_t drain_ms = kDrainMs;
  if (control.grace_ms() >= 0) drain_ms = std::clamp<int64_t>(control.grace_ms() - kCloseReserveMs, 0, kDrainMs);
  Status st = pipeline->stop(static_cast<int>(drain_ms));
  http.stop();  // before the pipeline goes: a scrape may be reading it
  if (!st) {
    spdlog::error("drain: {}", st.message());
    return exit_code::kIoErr;
  }
  Totals t = totals(*pipeline);
  std::string kernel = t.kernel_drops_counted ? std::to_string(t.kernel_dropped) + " in the kernel"
                                               : "kernel drops not visible on this platform";
  spdlog::log(t.sink_dropped > 0 ? spdlog::level::warn : spdlog::level::info,
              "stopped: received {}, stored {}, dropped {} after receive, {} ({}); everything stored was synced{}",
              t.received, t.stored, t.dropped, kernel, t.dropped_detail.empty() ? "none" : t.dropped_detail,
              t.sink_dropped > 0 ? "; but " + std::to_string(t.sink_dropped) +
                                       " datagram(s) were dropped by the log (disk full or write errors)"
                                 : std::string());
  return t.sink_dropped > 0 ? exit_code::kSinkDropped : exit_code::kOk;
}

}  // namespace ringest
