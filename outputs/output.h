// Output: forwards what the log has made durable to another system. One per
// [[output]] table. An output reads the log the way any reader does — through
// its segment files (sinks/log_tail.h), up to each partition's durable offset
// — so neither the receive path nor the log knows outputs exist; the one thing
// the log takes from them is a retention hold (sinks/retention_hold.h): the
// lowest offset not yet acknowledged, below which it may delete.
//
// The daemon makes its outputs after the log is open (make_output) and stops
// them after the log has drained, so what was durable at the stop is handed on
// or left for the next start, which resumes from the destination itself.
//
// Implementations live beside this file, one folder each (outputs/jetstream/);
// output_factory.cc is the one place that knows which exist on this platform.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/counter.h"
#include "common/status.h"
#include "daemon/settings.h"
#include "sinks/partition_log.h"
#include "sinks/retention_hold.h"

namespace ringest {

inline constexpr std::string_view kOutputTypes[] = {"jetstream"};
inline constexpr std::string_view kOutputEncodings[] = {"batch", "influx"};

// One partition of the log as an output sees it.
struct PartitionSource {
  uint32_t partition = 0;
  std::filesystem::path dir;           // the partition's segment directory
  const LogProbe* probe = nullptr;     // durable_offset, next_offset
  RetentionHold* hold = nullptr;       // what the output still needs
};

// Per output and partition; one writer (the output's thread for that
// partition), read at scrape time.
struct OutputProbe {
  Counter messages_published;
  Counter records_published;
  Counter messages_acked;
  Counter records_acked;
  Counter duplicates;        // acknowledged as a duplicate: the destination had it already
  Counter failures;          // publishes the destination failed or did not acknowledge in time (ack thread)
  Counter publish_errors;    // publishes the client refused before sending (forwarder thread)
  Counter gap_records;       // found missing from the destination after later ones were stored; sent again
  Counter in_flight;         // gauge: messages published, not yet acknowledged
  Counter acked_offset;      // gauge: records below this offset are acknowledged
  Counter lag_records;       // gauge: durable records not yet acknowledged
  Counter lag_bytes;         // gauge: their stored bytes
  Counter oldest_unacked_ns; // gauge: wall time of the oldest unacknowledged record; 0 when none
  Counter last_ack_ns;       // gauge: wall time of the last acknowledgment
  Counter connected;         // gauge: 1 while the destination is reachable
};

class Output {
 public:
  virtual ~Output() = default;
  virtual const OutputSettings& settings() const = 0;
  // Starts forwarding every partition. Fails only for what retrying can't
  // mend (bad credentials files, an unknown option); an unreachable
  // destination is retried in the background and shows in the probes.
  virtual Status start() = 0;
  // Stops reading the log, waits (at most `wait_ms`) for outstanding acks.
  virtual void stop(int wait_ms) = 0;
  // [partition]
  virtual std::span<const OutputProbe> probes() const = 0;
  // Why the output is not forwarding, "" while it is (for the log and /-/ready's text).
  virtual std::string trouble() const = 0;
};

// Checks settings the table cannot (credentials that go together, files that
// must exist, what this build supports); "" when they are fine.
std::string check_output(const OutputSettings& s);
// An output for `s` over `partitions`, or null with `error` set. It keeps
// what it must remember between runs under `state_dir`/<name>.
std::unique_ptr<Output> make_output(const OutputSettings& s, std::vector<PartitionSource> partitions,
                                    const std::filesystem::path& state_dir, std::string& error);

}  // namespace ringest
