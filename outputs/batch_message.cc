#include "outputs/batch_message.h"

#include "sinks/point_line.h"

namespace ringest {
namespace {
constexpr std::string_view kEncodingNames[] = {"batch", "influx"};
}

bool parse_encoding(std::string_view name, Encoding& out) {
  for (size_t i = 0; i < std::size(kEncodingNames); ++i) {
    if (kEncodingNames[i] != name) continue;
    out = static_cast<Encoding>(i);
    return true;
  }
  return false;
}

std::string_view to_string(Encoding e) { return kEncodingNames[static_cast<size_t>(e)]; }

void encode_batch_message(std::string_view node, uint32_t partition, const BatchView& batch,
                          std::span<const uint8_t> stored, Encoding encoding, BatchMessage& out) {
  const BatchHeader& h = batch.header;
  out.partition = partition;
  out.first_offset = h.base_offset;
  out.last_offset = h.end_offset() - 1;
  out.records = h.record_count;
  out.first_time_ns = h.min_time_ns;
  out.last_time_ns = h.max_time_ns;
  out.encoding = encoding;
  out.raw_left_out = 0;
  out.id.assign(node);
  out.id += "/" + std::to_string(partition) + "/" + std::to_string(h.base_offset);
  out.body.clear();
  if (encoding == Encoding::kBatch) {
    out.body.assign(reinterpret_cast<const char*>(stored.data()), stored.size());
    return;
  }
  BatchRecords records(batch);
  RecordView r;
  uint64_t offset = 0;
  while (records.next(r, offset)) {
    if (r.kind == RecordKind::kPoint) {
      append_point_line(out.body, r.point);
    } else {
      ++out.raw_left_out;
    }
  }
}

}  // namespace ringest
