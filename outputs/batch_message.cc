#include "outputs/batch_message.h"

#include <algorithm>

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

size_t encode_batch_messages(std::string_view node, uint32_t partition, const BatchView& batch,
                             std::span<const uint8_t> stored, Encoding encoding, size_t limit, uint64_t from_offset,
                             std::vector<BatchMessage>& out) {
  if (out.empty()) out.resize(1);
  if (encoding == Encoding::kBatch || limit == 0) {
    encode_batch_message(node, partition, batch, stored, encoding, out[0]);
    return 1;
  }
  size_t n = 0;
  BatchMessage* m = nullptr;
  std::string line;
  auto close = [&](uint64_t end) {
    if (m == nullptr) return;
    m->last_offset = end - 1;
    m->records = static_cast<uint32_t>(end - m->first_offset);
    m->id.assign(node);
    m->id += "/" + std::to_string(partition) + "/" + std::to_string(m->first_offset);
    // Cut the same way every time, but sent only from the resume point on.
    if (m->last_offset >= from_offset) ++n;
    m = nullptr;
  };
  auto open = [&](uint64_t offset) {
    if (out.size() <= n) out.resize(n + 1);
    m = &out[n];
    m->partition = partition;
    m->encoding = encoding;
    m->first_offset = offset;
    m->first_time_ns = INT64_MAX;
    m->last_time_ns = INT64_MIN;
    m->raw_left_out = 0;
    m->body.clear();
  };
  BatchRecords records(batch);
  RecordView r;
  uint64_t offset = 0, end = batch.header.base_offset;
  while (records.next(r, offset)) {
    line.clear();
    if (r.kind == RecordKind::kPoint) append_point_line(line, r.point);
    if (m != nullptr && !line.empty() && m->body.size() + line.size() > limit && !m->body.empty()) close(offset);
    if (m == nullptr) open(offset);
    if (r.kind == RecordKind::kPoint) {
      m->body += line;
    } else {
      ++m->raw_left_out;
    }
    m->first_time_ns = std::min(m->first_time_ns, r.point.time_ns);
    m->last_time_ns = std::max(m->last_time_ns, r.point.time_ns);
    end = offset + 1;
  }
  close(end);
  return n;
}

}  // namespace ringest
