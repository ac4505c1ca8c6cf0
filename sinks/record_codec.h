// Encoding of one record inside a batch payload (layout in sinks/segment_format.h
// and docs/segment-format.md).
//
// Encoding never allocates: the caller asks for the exact size first
// (*_body_size, then record_size), makes room in its batch buffer and encodes
// straight into it. Decoding never reads outside the bytes it is given and
// rejects anything malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/point.h"

namespace ringest {

// Body sizes (the record without its varint length prefix).
size_t point_body_size(const Origin& origin, const PointView& point);
size_t raw_body_size(const Origin& origin, std::string_view bytes);
// Size of a whole record whose body is `body_size` bytes.
size_t record_size(size_t body_size);

// Encode a record at `dst`, which must have record_size(body_size) bytes of
// room; `body_size` must be what *_body_size returned for the same arguments.
// Returns the byte after the record.
uint8_t* encode_point_record(uint8_t* dst, size_t body_size, const Origin& origin, const PointView& point);
uint8_t* encode_raw_record(uint8_t* dst, size_t body_size, const Origin& origin, std::string_view bytes);

// A decoded record. Every view points into the bytes given to the decoder (or
// into the decoder's own tag and field arrays) and stays valid until the next
// decode() on the same decoder or until those bytes go away.
struct RecordView {
  RecordKind kind = RecordKind::kPoint;
  Origin origin;
  // kPoint: the point. kRaw: only time_ns is set (to origin.receive_ns).
  PointView point;
  std::string_view raw;  // kRaw: the bytes
};

class RecordDecoder {
 public:
  // Decodes the record at the front of `in` and drops it from `in`. Returns
  // false, leaving `in` as it was, if the record is truncated or malformed
  // (unknown kind, family, field type or bool value; counts or lengths that run
  // past the record; bytes left over at the end of the body).
  bool decode(std::span<const uint8_t>& in, RecordView& out);

 private:
  bool decode_body(const uint8_t* p, const uint8_t* end, RecordView& out);

  // Reused from record to record: no allocation once they have grown.
  std::vector<Tag> tags_;
  std::vector<Field> fields_;
};

}  // namespace ringest
