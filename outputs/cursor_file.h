// A forwarding cursor: the offset below which one partition's records were
// acknowledged by an output's destination, kept in a small file beside the
// log (<data>/outputs/<output>/<partition>.cursor). Written to a temporary
// file, synced, renamed over the old one: a crash leaves the old or the new
// value, never a torn one. Outputs resume from their destination; the cursor
// is only for when the destination has nothing to resume from, and to say
// where a check of the destination after a restart may start: with the
// offset goes the destination's sequence number of the message that ended
// there (0 when unknown; version 1 files hold none).
#pragma once

#include <cstdint>
#include <filesystem>

#include "common/status.h"

namespace ringest {

Status write_cursor(const std::filesystem::path& path, uint64_t offset, uint64_t stream_seq = 0);
// False when the file is missing or does not hold a checked cursor.
bool read_cursor(const std::filesystem::path& path, uint64_t& offset, uint64_t* stream_seq = nullptr);

}  // namespace ringest
