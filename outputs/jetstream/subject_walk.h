// Reads which offsets the messages of one subject carry, from a stream
// sequence number on: the forwarder's check, after a failed publish, that no
// message was lost while later ones were stored (a leader change can do
// that). Each step asks the stream for the subject's next message
// (STREAM.MSG.GET with next_by_subj, nats-server 2.9 and later) and reads its
// offset headers.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "outputs/offset_coverage.h"

namespace ringest {

struct SubjectWalk {
  OffsetCoverage offsets;  // what the walked messages carry
  uint64_t messages = 0;
  uint64_t last_seq = 0;   // of the last message walked
  std::string error;       // why the walk stopped early; "" when it reached `to_seq`
};

// The messages on `subject` with stream sequence in (after_seq, to_seq], at
// most `max_messages` of them.
SubjectWalk walk_subject(natsConnection* nc, jsCtx* js, const std::string& stream, const std::string& subject,
                         uint64_t after_seq, uint64_t to_seq, uint64_t max_messages, int timeout_ms);

}  // namespace ringest
