// Fragment reassembly: order, overlap, loss, limits.
#include "tools/capture/reassembly.h"

#include <doctest/doctest.h>

#include "tests/tools/frames.h"

using namespace ringest::capture;
using namespace ringest::test;

namespace {

IpPacket fragment(const Bytes& whole, uint32_t begin, uint32_t end, uint16_t id = 5) {
  static std::vector<Bytes> keep;  // IpPacket views need their bytes alive
  keep.push_back(ipv4(Bytes(whole.begin() + begin, whole.begin() + end), 17, id, begin, end < whole.size()));
  IpPacket ip;
  decode_ip(kLinkRaw, keep.back(), uint32_t(keep.back().size()), ip);
  return ip;
}

const Bytes kWhole = udp(9, 8125, std::string(40, 'q') + "end");  // 51 bytes

}  // namespace

TEST_CASE("fragments in any order reassemble to the original datagram") {
  for (int order = 0; order < 2; ++order) {
    Reassembler r;
    SkipCounts skips{};
    std::vector<IpPacket> parts = {fragment(kWhole, 0, 16), fragment(kWhole, 16, 40),
                                   fragment(kWhole, 40, 51)};
    if (order) std::swap(parts[0], parts[2]);
    CHECK_FALSE(r.add(parts[0], 0, skips));
    CHECK_FALSE(r.add(parts[1], 1, skips));
    auto whole = r.add(parts[2], 2, skips);
    REQUIRE(whole);
    CHECK(Bytes(whole->begin(), whole->end()) == kWhole);
    CHECK(r.last_frames() == 3);
    CHECK(r.open() == 0);
    CHECK(skips == SkipCounts{});
  }
}

TEST_CASE("overlapping fragments drop the datagram") {
  Reassembler r;
  SkipCounts skips{};
  CHECK_FALSE(r.add(fragment(kWhole, 0, 24), 0, skips));
  CHECK_FALSE(r.add(fragment(kWhole, 16, 40), 0, skips));
  CHECK(skips[size_t(Skip::kFragmentOverlap)] == 2);
  CHECK_FALSE(r.add(fragment(kWhole, 40, 51), 0, skips));  // the rest never completes
  r.finish(skips);
  CHECK(skips[size_t(Skip::kFragmentIncomplete)] == 1);
}

TEST_CASE("a datagram missing a fragment is counted incomplete, at the end or after the timeout") {
  SkipCounts skips{};
  Reassembler r;
  CHECK_FALSE(r.add(fragment(kWhole, 0, 16), 0, skips));
  CHECK_FALSE(r.add(fragment(kWhole, 40, 51), 0, skips));
  r.finish(skips);
  CHECK(skips[size_t(Skip::kFragmentIncomplete)] == 2);

  Reassembler timed({1024, 1000});
  CHECK_FALSE(timed.add(fragment(kWhole, 0, 16, 1), 0, skips));
  CHECK_FALSE(timed.add(fragment(kWhole, 0, 16, 2), 2000, skips));  // expires id 1
  CHECK(skips[size_t(Skip::kFragmentIncomplete)] == 3);
  CHECK(timed.open() == 1);
}

TEST_CASE("the open-datagram limit evicts the oldest") {
  SkipCounts skips{};
  Reassembler r({2, 1'000'000});
  for (uint16_t id = 1; id <= 3; ++id) CHECK_FALSE(r.add(fragment(kWhole, 0, 16, id), id, skips));
  CHECK(r.open() == 2);
  CHECK(skips[size_t(Skip::kFragmentIncomplete)] == 1);
}

TEST_CASE("misaligned or oversized fragments are invalid") {
  SkipCounts skips{};
  Reassembler r;
  CHECK_FALSE(r.add(fragment(kWhole, 0, 15), 0, skips));  // not a multiple of 8, more follow
  IpPacket huge = fragment(kWhole, 40, 51);
  huge.frag_offset = 65528;
  CHECK_FALSE(r.add(huge, 0, skips));
  CHECK(skips[size_t(Skip::kFragmentInvalid)] == 2);
}
