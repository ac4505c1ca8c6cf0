// JetStreamOutput: forwards every partition's durable batches to a NATS
// JetStream stream, one subject per partition (<prefix>.<node>.<partition>),
// exactly once by offset:
//   - each message is one stored batch, its id <node>/<partition>/<first
//     offset> (sent as Nats-Msg-Id), so a batch sent again is byte-identical
//     and the stream's duplicate window drops the second copy;
//   - publishing is asynchronous with at most max_in_flight messages
//     unacknowledged per partition; the cursor moves only on the server's ack;
//   - on start, on reconnect and after any failed or timed-out publish the
//     forwarder waits for what is outstanding (bounded), drops the rest, reads
//     the subject's last message and resumes after its last offset. A local
//     cursor file serves only when the subject is empty (a new or recreated
//     stream); the log says which was used.
// One thread per partition, one connection for all; nats.c's threads run the
// ack handler. Built on Linux (libnats); the factory refuses it elsewhere.
#pragma once

#include <memory>
#include <vector>

#include "outputs/output.h"

namespace ringest {

std::unique_ptr<Output> make_jetstream_output(const OutputSettings& s, std::vector<PartitionSource> partitions,
                                              const std::filesystem::path& state_dir);

}  // namespace ringest
