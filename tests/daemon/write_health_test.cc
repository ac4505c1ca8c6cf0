// WriteHealth: a partition that starts losing writes is said once, then once a
// minute while it goes on, and once when it writes again, each with the drops
// counted meanwhile; a failure that heals between two looks is still said.
#include "daemon/write_health.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

namespace ringest {
namespace {

struct CapturedLog {
  CapturedLog() : sink(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(32)), saved(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("write-health-test", sink);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(saved); }
  std::vector<std::string> take() {
    std::vector<std::string> lines = sink->last_formatted();
    for (std::string& l : lines)
      while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    // The ring keeps everything; hand out only what is new since the last take.
    std::vector<std::string> fresh(lines.begin() + static_cast<std::ptrdiff_t>(seen), lines.end());
    seen = lines.size();
    return fresh;
  }
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink;
  std::shared_ptr<spdlog::logger> saved;
  size_t seen = 0;
};

constexpr int64_t kSec = 1'000'000'000;

}  // namespace

TEST_CASE("write health: an episode is said when it starts, once a minute, and once writing has held a second") {
  CapturedLog log;
  LogProbe p;
  WriteHealth health(2);
  int asked = 0;
  auto why = [&] {
    ++asked;
    return std::string("write segment: No space left on device");
  };
  int64_t now = 100 * kSec;

  health.check(now, p, why);
  CHECK(log.take().empty());
  CHECK(asked == 0);  // nothing failing: the reason is not even built
  CHECK(health.next_deadline() == INT64_MAX);
  CHECK(health.state() == kWriting);

  p.dropped_disk_full.add(5);
  p.write_failing.set(kDiskFull);
  health.check(now, p, why);
  CHECK(log.take() == std::vector<std::string>{
                          "warning partition 2: writes are failing (disk full: write segment: No space left on "
                          "device); datagrams are dropped until the log can write again"});
  CHECK(health.next_deadline() == now + WriteHealth::kRepeatNs);
  for (int i = 1; i < 60; ++i) {
    p.dropped_disk_full.add(10);
    // Nearly full: now and then a batch fits, and the gauge clears for a moment.
    p.write_failing.set(i % 7 == 0 ? kWriting : kDiskFull);
    health.check(now + i * kSec, p, why);
    CHECK(health.state() == kDiskFull);  // what readiness and the gauge show: no flapping
  }
  CHECK(log.take().empty());  // a flood of failures, and flapping, is not a flood of lines
  p.write_failing.set(kDiskFull);
  health.check(now + 60 * kSec, p, why);
  CHECK(log.take() == std::vector<std::string>{
                          "warning partition 2: writes still failing (disk full: write segment: No space left on "
                          "device); 595 datagram(s) dropped so far"});

  // Written again: said once it has held for a second, by the deadline the
  // shard wakes for even without input.
  p.write_failing.set(kWriting);
  health.check(now + 61 * kSec, p, why);
  CHECK(log.take().empty());
  CHECK(health.state() == kDiskFull);  // not yet: writes have not held for a second
  CHECK(health.next_deadline() == now + 62 * kSec);
  health.check(now + 62 * kSec, p, why);
  CHECK(log.take() ==
        std::vector<std::string>{"warning partition 2: writing again; 595 datagram(s) were dropped while it could not"});
  CHECK(health.state() == kWriting);
  CHECK(health.next_deadline() == INT64_MAX);
  health.check(now + 63 * kSec, p, why);
  CHECK(log.take().empty());

  // Dropped and written again before the shard looked: an episode all the same.
  p.dropped_sink_error.add(3);
  health.check(now + 64 * kSec, p, why);
  CHECK(log.take() == std::vector<std::string>{"warning partition 2: writes are failing (failed, then written "
                                               "again: write segment: No space left on device); datagrams are "
                                               "dropped until the log can write again"});
  health.check(now + 65 * kSec, p, why);
  CHECK(log.take() ==
        std::vector<std::string>{"warning partition 2: writing again; 3 datagram(s) were dropped while it could not"});
}

}  // namespace ringest
