// --check-metrics: reading ringestd's exposition and the reconciliation arithmetic.
#include "tools/check/metrics_check.h"

#include <doctest/doctest.h>

using namespace ringest::check;

namespace {

const char* kBefore = R"(# HELP ringest_received_datagrams_total Datagrams taken from the kernel.
# TYPE ringest_received_datagrams_total counter
ringest_received_datagrams_total{listener="statsd",engine="uring"} 100
ringest_received_datagrams_total{listener="syslog",engine="uring"} 5
ringest_stored_datagrams_total{listener="statsd"} 100
ringest_stored_datagrams_total{listener="syslog"} 5
ringest_dropped_datagrams_total{listener="statsd",stage="kernel",reason="rcvbuf_full"} 0
ringest_dropped_datagrams_total{listener="statsd",stage="parse",reason="parse_error"} 0
ringest_queue_depth{shard="0"} 0
ringest_received_bytes_total 9999
)";

const char* kAfter = R"(ringest_received_datagrams_total{listener="statsd",engine="uring"} 1090
ringest_received_datagrams_total{listener="syslog",engine="uring"} 5
ringest_stored_datagrams_total{listener="statsd"} 1085
ringest_stored_datagrams_total{listener="syslog"} 5
ringest_dropped_datagrams_total{listener="statsd",stage="kernel",reason="rcvbuf_full"} 10
ringest_dropped_datagrams_total{listener="statsd",stage="parse",reason="parse_error"} 5
ringest_queue_depth{shard="0"} 0
)";

}  // namespace

TEST_CASE("exposition text sums listeners and keys drops by stage/reason") {
  const Snapshot s = parse_metrics(kAfter);
  CHECK(s.received == 1095);
  CHECK(s.stored == 1090);
  CHECK(s.dropped.at("kernel/rcvbuf_full") == 10);
  CHECK(s.dropped.at("parse/parse_error") == 5);
  CHECK(s.dropped_total() == 15);
  CHECK(s.dropped_in("kernel") == 10);
  CHECK(s.queue_depth == 0);
}

TEST_CASE("everything sent is stored or dropped: nothing unaccounted") {
  const Reconciliation r = reconcile(1000, parse_metrics(kBefore), parse_metrics(kAfter));
  CHECK(r.received == 990);
  CHECK(r.stored == 985);
  CHECK(r.dropped.size() == 2);
  CHECK(r.unaccounted == 0);
  CHECK(r.ok());
}

TEST_CASE("datagrams missing from every counter are unaccounted") {
  const Reconciliation r = reconcile(1003, parse_metrics(kBefore), parse_metrics(kAfter));
  CHECK(r.unaccounted == 3);
  CHECK_FALSE(r.ok());
  std::FILE* f = std::tmpfile();
  print(f, r);
  std::rewind(f);
  char buf[2048] = {};
  CHECK(std::fread(buf, 1, sizeof buf - 1, f) > 0);
  std::fclose(f);
  const std::string out = buf;
  CHECK(out.find("dropped kernel/rcvbuf_full") != std::string::npos);
  CHECK(out.find("verdict: FAIL") != std::string::npos);
}

TEST_CASE("a scrape of an unreachable or malformed URL is an error, not a crash") {
  Snapshot s;
  CHECK_FALSE(scrape("ftp://127.0.0.1/metrics", s).ok());
  CHECK_FALSE(scrape("http://127.0.0.1:1/metrics", s).ok());
}
