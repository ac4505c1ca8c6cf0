// Internal to sinks/ and its tests: opening a PartitionLog over a given file
// layer, so tests can put a file layer that fails or reorders writes under it.
#pragma once

#include <memory>

#include "sinks/file_layer.h"
#include "sinks/partition_log.h"

namespace ringest {

std::unique_ptr<PartitionLog> open_partition_log(const LogOptions& opts, RecoveryReport& report, Status& err,
                                                 std::unique_ptr<FileIo> io);

}  // namespace ringest
