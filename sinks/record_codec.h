// The records of one batch payload (layout in sinks/segment_format.h and
// docs/segment-format.md).
//
// Writers encode format 3: within a batch, a string (a measurement, a tag or
// field key, a tag value) is stored once and referred to by index after that,
// and a record's origin and times are stored relative to the record before it.
// A StatsD metric's point is stored as a metric record, whose tag and field
// names are implied by one shape byte. A batch is therefore decoded from its
// first record on, by one decoder. Readers decode format 1 (every record
// self-contained), format 2 (format 3 without metric records) and format 3.
//
// Encoding never allocates once its tables exist: the caller asks for a bound
// (*_bound), makes that much room in its batch buffer and encodes straight
// into it. Decoding never reads outside the bytes it is given and rejects
// anything malformed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/point.h"
#include "sinks/segment_format.h"

namespace ringest {

class RecordEncoder {
 public:
  RecordEncoder();

  // A new batch: nothing before it is referred to.
  void reset();

  // Bytes a record may take at most, its length prefix included, whatever
  // the batch holds before it.
  size_t point_bound(const Origin& origin, const PointView& point) const;
  size_t metric_bound(const Origin& origin, const MetricView& metric) const;
  size_t raw_bound(const Origin& origin, std::string_view bytes) const;

  // Encode the next record of the batch at `base + at`, which has room for
  // the bound just asked for. `base` is where the batch's payload starts: the
  // encoder finds its earlier strings there, so the same payload bytes must
  // be at `base` on every call (the buffer may move, its contents may not).
  // Returns the record's size.
  size_t encode_point(uint8_t* base, size_t at, const Origin& origin, const PointView& point);
  // A metric is stored as the point it stands for would be (a metric record).
  // `name_hash`: what lookup_ahead() gave for it.
  size_t encode_metric(uint8_t* base, size_t at, const Origin& origin, const MetricView& metric, uint32_t name_hash);
  size_t encode_raw(uint8_t* base, size_t at, const Origin& origin, std::string_view bytes);

  // The metrics of `run` (at most kLookAhead) will be encoded next: their
  // measurements' dictionary slots are fetched into the cache now, and
  // `hashes[i]` is what encode_metric takes for run[i]. Changes nothing encoded.
  static constexpr size_t kLookAhead = 64;
  void lookup_ahead(std::span<const MetricView> run, uint32_t* hashes) const;

 private:
  struct Entry {
    uint32_t generation = 0;  // == generation_: belongs to this batch
    uint32_t hash = 0;
    uint32_t at = 0;  // the string's bytes, from the payload start
    uint16_t length = 0;
    uint16_t index = 0;
  };
  // Small enough to stay in the L1 cache next to the parser's data: a larger
  // table cost more in cache misses than the strings it would add saved.
  static constexpr size_t kTableSize = 2048;  // power of two, twice the dictionary
  static constexpr uint32_t kMaxEntries = 1024;
  // Slots looked at for one string: past them it is stored where it is. A
  // bound on the work a run of strings the hash does not tell apart can make.
  static constexpr size_t kMaxProbes = 16;

  size_t origin_bound(const Origin& origin) const;
  uint8_t* put_origin(uint8_t* p, uint8_t kind, const Origin& origin);
  // `index`, when given, gets the string's dictionary index (a literal: unchanged).
  uint8_t* put_string(uint8_t* base, uint8_t* p, std::string_view s, uint32_t* index = nullptr);
  // A measurement: as put_string, without the hint by address (a measurement
  // is in a datagram, whose buffer holds other names on other records).
  uint8_t* put_measurement(uint8_t* base, uint8_t* p, std::string_view s, uint32_t hash);
  uint8_t* put_literal(uint8_t* p, std::string_view s);
  // put_string's lookup by `hash` (hash_of(s)); `hint`, when given, is set to the slot found.
  uint8_t* put_looked_up(uint8_t* base, uint8_t* p, std::string_view s, uint32_t hash, uint32_t* index,
                         uint16_t* hint);
  bool holds(const uint8_t* base, const Entry& e, std::string_view s);
  // A metric record's shape byte (its integral bit found here), value and sample rate.
  uint8_t* put_metric(uint8_t* base, uint8_t* p, uint8_t shape, double value, std::string_view member, double rate);
  // A tag count and the tags.
  uint8_t* put_tags(uint8_t* base, uint8_t* p, std::span<const Tag> tags);
  // A name a parser may also give as a Known id: found by the id once the batch has it.
  uint8_t* put_name(uint8_t* base, uint8_t* p, std::string_view s, Known id);
  size_t finish(uint8_t* base, size_t at, uint8_t* body_end);

  std::unique_ptr<std::array<Entry, kTableSize>> table_;
  // By a string's address and length: the table slot it was last found in.
  static constexpr size_t kHints = 64;
  std::array<uint16_t, kHints> hints_{};
  // By Known id: its dictionary index in the batch of that generation.
  struct KnownEntry {
    uint32_t generation = 0;
    uint16_t index = 0;
  };
  std::array<KnownEntry, kKnownCount> known_{};
  uint32_t generation_ = 1;
  uint32_t entries_ = 0;
  // Entries added by the record being encoded: their positions move when its
  // body is moved down to make room for a longer length prefix.
  std::vector<uint32_t> added_;
  bool have_previous_ = false;
  Origin previous_;  // listener and source of the previous record; receive_ns too
};

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
  // Before a batch's first record: its format version (1, 2 or 3, from its
  // header). Until the first call, the current version.
  void begin_batch(uint8_t version);

  // Decodes the record at the front of `in` and drops it from `in`. Returns
  // false, leaving `in` as it was, if the record is truncated or malformed
  // (unknown kind, family, field type or bool value; counts or lengths that run
  // past the record; a reference to a string or origin the batch has not had;
  // bytes left over at the end of the body). After a false the rest of the
  // batch can't be decoded (format 2 refers back).
  bool decode(std::span<const uint8_t>& in, RecordView& out);

 private:
  bool decode_v1(const uint8_t* p, const uint8_t* end, RecordView& out);
  bool decode_v2(const uint8_t* p, const uint8_t* end, RecordView& out);

  uint8_t version_ = segfmt::kFormatVersion;
  // Format 2: the batch's strings so far, and the previous record's origin.
  std::vector<std::string_view> strings_;
  bool have_previous_ = false;
  Origin previous_;
  // Reused from record to record: no allocation once they have grown.
  std::vector<Tag> tags_;
  std::vector<Field> fields_;
};

}  // namespace ringest
