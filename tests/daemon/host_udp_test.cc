// The host's UDP receive-error count: the one sign on Windows of datagrams
// lost before ringest took them, exported as ringest_host_udp_receive_errors_total.
#include <doctest/doctest.h>

#include <string>

#include "daemon/process_stats.h"
#include "tests/support/udp_sender.h"

namespace ringest {

TEST_CASE("host UDP receive errors count the datagrams a full socket buffer dropped") {
  uint64_t before = 0;
  REQUIRE(read_host_udp_receive_errors(before));
  // A socket nobody reads (bound by its first send), and 3,000 datagrams of
  // 1,400 bytes at it: far more than its receive buffer holds.
  test::UdpSender idle(9);  // the discard port: nothing listens there
  idle.send("x");
  test::UdpSender flood(idle.local_port());
  const std::string payload(1400, 'u');
  for (int i = 0; i < 3000; ++i) REQUIRE(flood.send(payload));
  uint64_t after = 0;
  REQUIRE(read_host_udp_receive_errors(after));
  CAPTURE(before);
  CAPTURE(after);
  CHECK(after - before >= 1000);
}

}  // namespace ringest
