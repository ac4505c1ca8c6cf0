// Every capture in tests/vectors/pcap (tcpdump's test suite) replayed into a
// loopback receiver. The oracle is tcpdump's own decode (the .out files):
// a packet it prints with a UDP length must arrive byte-exact — the last
// `length` bytes of the captured frame —, one it marks "(invalid)" must be
// skipped, with the reason listed here.
#include <doctest/doctest.h>
#include <pcap/pcap.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "tests/tools/udp_receiver.h"
#include "tools/replay/replay.h"

using namespace ringest;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(RINGEST_VECTORS_DIR) / "pcap";

// The reason each malformed vector must be skipped for (tcpdump's wording in the comment).
const std::map<std::string, capture::Skip> kExpectedSkip = {
    {"tcpdump_LINKTYPE_IPV4_invalid", capture::Skip::kWrongLinkType},        // [version 6 != 4]
    {"tcpdump_ipv4_invalid_hdr_length", capture::Skip::kIpv4HeaderLength},   // [header length 16 < 20]
    {"tcpdump_ipv4_invalid_total_length", capture::Skip::kIpv4TotalLength},  // [total length 85 > length 84]
    {"tcpdump_ipv6_invalid_length", capture::Skip::kIpv6HeaderLength},       // [length 39 < 40]
};

// One entry per packet in tcpdump's .out: the UDP payload length, or -1 for "(invalid)".
std::vector<int> tcpdump_expectations(const fs::path& out) {
  std::vector<int> v;
  if (!fs::exists(out)) return v;
  std::ifstream in(out);
  std::string line, packet;
  const std::regex start(R"(^\s*\d+\s+\d{4}-\d\d-\d\d )");
  auto flush = [&] {
    if (packet.empty()) return;
    std::smatch m;
    if (packet.find("(invalid)") != std::string::npos)
      v.push_back(-1);
    else if (std::regex_search(packet, m, std::regex(R"(SYSLOG, length: (\d+))")))
      v.push_back(std::stoi(m[1]));
    else if (std::regex_search(packet, m, std::regex(R"(\((\d+)\)\s*$)")))
      v.push_back(std::stoi(m[1]));
    else
      v.push_back(-2);  // a packet this test cannot read: fails below
    packet.clear();
  };
  while (std::getline(in, line)) {
    if (std::regex_search(line, start)) flush();
    packet += line + "\n";
  }
  flush();
  return v;
}

// The captured frames, read with libpcap directly (not through the replay code).
std::vector<std::string> raw_frames(const fs::path& file) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(file.c_str(), err);
  REQUIRE_MESSAGE(p, err);
  std::vector<std::string> frames;
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) frames.emplace_back(reinterpret_cast<const char*>(d), h->caplen);
  pcap_close(p);
  return frames;
}

}  // namespace

TEST_CASE("every shared capture replays byte-exact, malformed packets skipped with their reason") {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kDir)) {
    const fs::path file = entry.path();
    if (file.extension() != ".pcap" && file.extension() != ".pcapng") continue;
    ++files;
    const std::string stem = file.stem().string();
    CAPTURE(stem);
    fs::path out = file;
    out.replace_extension(".out");
    if (stem == "tcpdump_syslog_udp") out = kDir / "tcpdump_syslog-v.out";
    const std::vector<int> expect = tcpdump_expectations(out);
    const std::vector<std::string> frames = raw_frames(file);
    REQUIRE(frames.size() == expect.size());

    test::UdpReceiver rx;
    replay::ReplayOptions o;
    o.file = file.string();
    o.schedule.timing = replay::Timing::kFlatOut;
    o.target = rx.target();
    replay::MonotonicClock clock;
    replay::ReplayReport report;
    std::string read_error;
    REQUIRE(replay::run_replay(o, clock, report, read_error).ok());
    CHECK(read_error.empty());
    const std::vector<std::string> got = rx.drain();

    std::vector<std::string> want;
    uint64_t invalid = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      REQUIRE(expect[i] != -2);
      if (expect[i] < 0) {
        ++invalid;
        continue;
      }
      REQUIRE(size_t(expect[i]) <= frames[i].size());
      want.push_back(frames[i].substr(frames[i].size() - size_t(expect[i])));
    }
    CHECK(report.frames == frames.size());
    CHECK(report.datagrams == want.size());
    CHECK(got == want);
    CHECK(report.skipped_total() == invalid);
    if (invalid) {
      REQUIRE(kExpectedSkip.count(stem));
      CHECK(report.skipped[size_t(kExpectedSkip.at(stem))] == invalid);
    } else {
      CHECK_FALSE(kExpectedSkip.count(stem));
    }
  }
  CHECK(files == 11);  // 10 pcap + 1 pcapng
}
