// BatchMessage: what one stored batch becomes when an output sends it — the
// body in the output's encoding, and the facts every message carries in its
// headers (docs/scale-out.md specifies both). Built from the stored bytes
// alone, so sending the same batch again gives the same message, id included.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sinks/segment_reader.h"

namespace ringest {

enum class Encoding : uint8_t { kBatch, kInflux };
// "batch", "influx" (kOutputEncodings); false for anything else.
bool parse_encoding(std::string_view name, Encoding& out);
std::string_view to_string(Encoding e);

// Header names.
inline constexpr const char* kHeaderPartition = "Ringest-Partition";
inline constexpr const char* kHeaderFirstOffset = "Ringest-First-Offset";
inline constexpr const char* kHeaderLastOffset = "Ringest-Last-Offset";
inline constexpr const char* kHeaderRecords = "Ringest-Records";
inline constexpr const char* kHeaderFirstTime = "Ringest-First-Time";  // ns since the epoch
inline constexpr const char* kHeaderLastTime = "Ringest-Last-Time";
inline constexpr const char* kHeaderEncoding = "Ringest-Encoding";
inline constexpr const char* kHeaderNode = "Ringest-Node";
// influx only: records with no point (raw lines kept by keep_raw), left out of the body.
inline constexpr const char* kHeaderRawLeftOut = "Ringest-Raw-Left-Out";

struct BatchMessage {
  std::string id;  // <node>/<partition>/<first offset>: the destination's de-duplication key
  uint32_t partition = 0;
  uint64_t first_offset = 0;
  uint64_t last_offset = 0;
  uint32_t records = 0;
  int64_t first_time_ns = 0;
  int64_t last_time_ns = 0;
  Encoding encoding = Encoding::kBatch;
  uint32_t raw_left_out = 0;
  std::string body;
};

// `batch` is a batch a reader verified and `stored` its bytes as stored.
void encode_batch_message(std::string_view node, uint32_t partition, const BatchView& batch,
                          std::span<const uint8_t> stored, Encoding encoding, BatchMessage& out);

// The messages a stored batch becomes when a message may carry at most
// `limit` body bytes (0: no limit), leaving out those wholly below
// `from_offset` (a resume inside the batch). kBatch: the one message (the
// stored batch can't be split; the caller refuses it if too large). kInflux:
// the batch's records cut on record boundaries into as few messages as fit,
// cut the same way every time, each with the id and offsets of its records
// (a message whose single line is over the limit comes out over it). `out`
// is reused; the count of messages filled is returned.
size_t encode_batch_messages(std::string_view node, uint32_t partition, const BatchView& batch,
                             std::span<const uint8_t> stored, Encoding encoding, size_t limit, uint64_t from_offset,
                             std::vector<BatchMessage>& out);

}  // namespace ringest
