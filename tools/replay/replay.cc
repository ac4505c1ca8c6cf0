#include "tools/replay/replay.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "tools/capture/decode.h"
#include "tools/capture/reader.h"
#include "tools/capture/reassembly.h"

namespace ringest::replay {

using capture::Skip;

uint64_t ReplayReport::skipped_total() const {
  return std::accumulate(skipped.begin(), skipped.end(), uint64_t(0));
}

namespace {

class Loop {
 public:
  Loop(const ReplayOptions& o, Clock& clock, ReplayReport& r)
      : o_(o), clock_(clock), sched_(clock, o.schedule), sender_(o.batch), r_(r) {}

  Status run(std::string& read_error) {
    start_ = clock_.now_ns();
    next_progress_ = start_ + int64_t(o_.progress_interval_s * 1e9);
    Status s;
    for (uint64_t pass = 0; pass < o_.loops && s.ok(); ++pass) {
      std::unique_ptr<capture::Reader> reader;
      if (!(s = capture::Reader::open(o_.file, reader)).ok()) break;
      sched_.next_pass();
      ++r_.passes;
      capture::Frame f;
      while (s.ok() && reader->next(f)) s = frame(reader->link_type(), f);
      reassembler_.finish(r_.skipped);
      if (!reader->error().empty()) {
        read_error = reader->error();
        break;
      }
    }
    if (s.ok()) s = flush();
    finish();
    return s;
  }

 private:
  Status frame(uint32_t link, const capture::Frame& f) {
    ++r_.frames;
    capture::IpPacket ip;
    Skip skip = capture::decode_ip(link, f.bytes, f.orig_len, ip);
    if (skip != Skip::kNone) return count(skip);
    std::span<const uint8_t> l4 = ip.payload;
    if (ip.fragmented) {
      if (ip.protocol != 17) return count(Skip::kNotUdp);
      auto whole = reassembler_.add(ip, f.ts_ns, r_.skipped);
      if (!whole) return Status();  // held, or counted as skipped
      r_.fragments_merged += reassembler_.last_frames() - 1;
      l4 = *whole;
    }
    capture::UdpDatagram d;
    if ((skip = capture::decode_udp(ip, l4, d)) != Skip::kNone) return count(skip);
    if (!o_.ports.empty() && !o_.ports.count(d.dst_port)) return count(Skip::kPortFiltered);
    const Target* to = nullptr;
    if (auto it = o_.port_map.find(d.dst_port); it != o_.port_map.end())
      to = &it->second;
    else if (o_.target)
      to = &*o_.target;
    if (!to) return count(Skip::kNoTarget);
    return send(*to, d.payload, f.ts_ns);
  }

  Status count(Skip s) {
    ++r_.skipped[size_t(s)];
    return Status();
  }

  Status send(const Target& to, std::span<const uint8_t> payload, int64_t ts_ns) {
    const int64_t due = sched_.due(ts_ns);
    Status s;
    if (due > clock_.now_ns()) {
      // Not due yet: what is queued goes now, then wait for this one.
      if (!(s = flush()).ok()) return s;
      sched_.wait_until(due);
    }
    if (sender_.full() && !(s = flush()).ok()) return s;
    sender_.add(to, payload);
    dues_.push_back(due);
    return Status();
  }

  Status flush() {
    if (sender_.pending() == 0) return Status();
    const int64_t now = clock_.now_ns();
    for (int64_t due : dues_) sched_.sent(due, now);
    dues_.clear();
    Status s = sender_.flush();
    if (o_.progress && o_.progress_interval_s > 0 && now >= next_progress_) {
      next_progress_ = now + int64_t(o_.progress_interval_s * 1e9);
      finish();
      o_.progress(r_);
    }
    return s;
  }

  void finish() {
    r_.datagrams = sender_.sent();
    r_.bytes = sender_.sent_bytes();
    r_.send_errors = sender_.send_errors();
    r_.retries = sender_.retries();
    r_.seconds = double(clock_.now_ns() - start_) / 1e9;
    r_.lateness_p50_ns = sched_.lateness().quantile(0.5);
    r_.lateness_p99_ns = sched_.lateness().quantile(0.99);
    r_.lateness_max_ns = sched_.lateness().max();
  }

  const ReplayOptions& o_;
  Clock& clock_;
  Scheduler sched_;
  Sender sender_;
  capture::Reassembler reassembler_;
  ReplayReport& r_;
  std::vector<int64_t> dues_;
  int64_t start_ = 0, next_progress_ = 0;
};

}  // namespace

Status run_replay(const ReplayOptions& o, Clock& clock, ReplayReport& report, std::string& read_error) {
  report = ReplayReport{};
  return Loop(o, clock, report).run(read_error);
}

}  // namespace ringest::replay
