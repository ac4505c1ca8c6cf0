// The segment log's on-disk format, version 3 (readers also read versions 1
// and 2).
// This header and docs/segment-format.md are the contract; change neither
// without the other, and bump kFormatVersion for anything an old reader would
// misread.
//
// A partition is a directory data/<partition>/ of segment files named
// <20-digit zero-padded base offset>.seg. Every integer is little-endian.
//
// Segment file := segment header, then zero or more batches back to back.
//
// Segment header (kSegmentHeaderSize = 64 bytes):
//   0   8  magic              "RINGSEG\0"
//   8   2  format version     3 (1, 2: created by a writer of that version)
//  10   2  header size        64
//  12   4  partition
//  16   8  base offset        offset of the first record the segment may hold
//  24   8  created            wall clock, ns since the Unix epoch (signed)
//  32  28  reserved           zero
//  60   4  header crc         CRC32C of bytes [0, 60)
//
// Batch := batch header, then payload_length bytes of payload.
//
// Batch header (kBatchHeaderSize = 48 bytes):
//   0   4  length             whole batch, header included: 48 + payload length
//   4   4  crc                CRC32C of bytes [8, length) of the batch
//   8   1  format version     3 (1, 2: its records are in that version's encoding)
//   9   1  flags              bits 0-2 compression (0 none, 1 zstd, 2 lz4),
//                             bits 3-7 zero
//  10   2  header size        48
//  12   4  record count       >= 1
//  16   8  base offset        offset of the batch's first record; record i has
//                             base offset + i
//  24   8  min time           smallest record time_ns in the batch (signed)
//  32   8  max time           largest record time_ns in the batch (signed)
//  40   4  payload length     bytes of payload as stored (compressed: u32
//                             uncompressed length, then a zstd frame or an
//                             lz4 block that inflates to exactly that)
//  44   4  reserved           zero
//
// Payload, version 3 (version 2 is the same without the metric kind) :=
// record count records, decoded in order (a record may refer to strings and
// the origin of earlier records of the same batch):
//   varint32 body length, then the body:
//   u8 head (bits 0-1 kind: 0 point, 1 raw, 2 metric; bit 2 same origin as the
//   previous record) | unless same origin: varint32 listener, u8 family (0, 1, 4, 6),
//   address (0, 8, 4 or 16 bytes), u16 port | zigzag varint64 receive_ns minus
//   the previous record's (0 before the first) | then
//   point: zigzag varint64 time_ns - receive_ns | string measurement |
//          varint32 tag count, (string key, string value)* |
//          varint32 field count, (string key, u8 type, value)*
//   metric (a StatsD metric's point, shorter): zigzag varint64 time_ns -
//          receive_ns | string measurement | varint32 tag count, (string key,
//          string value)* | u8 shape (bits 0-2 metric type: 0 counter, 1
//          gauge, 2 timing, 3 histogram, 4 set, 5 distribution; bit 3 a sample
//          rate follows; bit 4 delta; bit 5 the value is integral) | value: a
//          set's string, else an integral float (bit 5) or an 8-byte float |
//          sample rate: 8-byte float (bit 3).
//          It reads as the point with the tags given, then metric_type=<type
//          name>, and the fields value, sample_rate (bit 3), delta=true (bit 4).
//   raw:   the raw bytes, to the end of the body
//   where a string is varint32 v: v&3 = 0 literal of v>>2 bytes, 1 the same
//   and defined as the batch's next string, 2 reference to defined string
//   v>>2; and a value is: float 8-byte IEEE-754, int zigzag varint64, uint
//   varint64, string, bool 1 byte (0 or 1), integral float zigzag varint64.
//
// Payload, version 1: every record alone: varint32 body length, then
//   u8 kind | u16 listener | u8 family | address | u16 port | i64 receive_ns |
//   point: i64 time_ns | str measurement | varint32 tag count, (str, str)* |
//          varint32 field count, (str key, u8 type, value)*
//   raw:   the raw bytes
//   where str is varint32 length + bytes and value is: float 8-byte IEEE-754,
//   int/uint 8 bytes, string str, bool 1 byte.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringest::segfmt {

// What writers write. Readers take segments and batches of version 1 too.
inline constexpr uint16_t kFormatVersion = 3;
inline constexpr uint16_t kFormatVersion2 = 2;
inline constexpr uint16_t kFormatVersion1 = 1;
inline constexpr bool known_version(uint16_t v) { return v >= kFormatVersion1 && v <= kFormatVersion; }

// Segment header.
inline constexpr uint8_t kSegmentMagic[8] = {'R', 'I', 'N', 'G', 'S', 'E', 'G', '\0'};
inline constexpr size_t kSegmentHeaderSize = 64;
inline constexpr size_t kSegMagicAt = 0;
inline constexpr size_t kSegVersionAt = 8;
inline constexpr size_t kSegHeaderSizeAt = 10;
inline constexpr size_t kSegPartitionAt = 12;
inline constexpr size_t kSegBaseOffsetAt = 16;
inline constexpr size_t kSegCreatedAt = 24;
inline constexpr size_t kSegReservedAt = 32;
inline constexpr size_t kSegCrcAt = 60;

static_assert(kSegMagicAt + sizeof kSegmentMagic == kSegVersionAt);
static_assert(kSegCreatedAt + 8 == kSegReservedAt);
static_assert(kSegCrcAt + 4 == kSegmentHeaderSize);

// Batch header.
inline constexpr size_t kBatchHeaderSize = 48;
inline constexpr size_t kBatchLengthAt = 0;
inline constexpr size_t kBatchCrcAt = 4;
inline constexpr size_t kBatchVersionAt = 8;
inline constexpr size_t kBatchFlagsAt = 9;
inline constexpr size_t kBatchHeaderSizeAt = 10;
inline constexpr size_t kBatchCountAt = 12;
inline constexpr size_t kBatchBaseOffsetAt = 16;
inline constexpr size_t kBatchMinTimeAt = 24;
inline constexpr size_t kBatchMaxTimeAt = 32;
inline constexpr size_t kBatchPayloadLengthAt = 40;
inline constexpr size_t kBatchReservedAt = 44;
// The CRC covers everything after itself, so it never covers its own bytes.
inline constexpr size_t kBatchCrcFrom = kBatchCrcAt + 4;

static_assert(kBatchCrcFrom == kBatchVersionAt);
static_assert(kBatchReservedAt + 4 == kBatchHeaderSize);
static_assert(kBatchHeaderSize % 8 == 0, "keeps payloads 8-aligned in a batch buffer");

// A batch is never longer than this, so one flipped high bit in a length field
// is caught as damage instead of being trusted as a 2 GiB read.
inline constexpr uint32_t kMaxBatchLength = 64u << 20;
inline constexpr uint32_t kMaxPayloadLength = kMaxBatchLength - kBatchHeaderSize;

// Flags.
inline constexpr uint8_t kCompressionMask = 0x07;
inline constexpr uint8_t kCompressionNone = 0;
inline constexpr uint8_t kCompressionZstd = 1;
inline constexpr uint8_t kCompressionLz4 = 2;
inline constexpr uint8_t kKnownFlags = kCompressionMask;

// Record body.
inline constexpr uint8_t kKindPoint = 0;
inline constexpr uint8_t kKindRaw = 1;
inline constexpr uint8_t kKindMetric = 2;  // version 3
// Version 2: the record's first byte.
inline constexpr uint8_t kHeadKindMask = 0x03;
inline constexpr uint8_t kHeadSameOrigin = 0x04;  // listener and source as the previous record's
inline constexpr uint8_t kHeadKnown = kHeadKindMask | kHeadSameOrigin;
// Version 2: a string is a varint v; v & 3 says what v >> 2 is.
inline constexpr uint32_t kStringLiteral = 0;  // a length; the bytes follow
inline constexpr uint32_t kStringDefine = 1;   // a length; the bytes follow and become the next string
inline constexpr uint32_t kStringRef = 2;      // the index of a string defined earlier in the batch
inline constexpr uint32_t kMaxStrings = 65536;  // strings a batch may define
inline constexpr uint8_t kFamilyNone = 0;
inline constexpr uint8_t kFamilyUnix = 1;  // a Unix-socket sender: u32 pid, u32 uid (little-endian), port 0
inline constexpr uint8_t kFamilyIPv4 = 4;
inline constexpr uint8_t kFamilyIPv6 = 6;
inline constexpr uint8_t kTypeFloat = 0;
inline constexpr uint8_t kTypeInt = 1;
inline constexpr uint8_t kTypeUint = 2;
inline constexpr uint8_t kTypeString = 3;
inline constexpr uint8_t kTypeBool = 4;
inline constexpr uint8_t kTypeIntegralFloat = 5;  // version 2: a float with an integer value, as a zigzag varint
// Version 3: a metric record's shape byte.
inline constexpr uint8_t kMetricTypeMask = 0x07;  // 0 counter .. 5 distribution, in kKnownNames' order
inline constexpr uint8_t kMetricTypes = 6;
inline constexpr uint8_t kMetricSet = 4;          // its value is a string
inline constexpr uint8_t kMetricSampleRate = 0x08;
inline constexpr uint8_t kMetricDelta = 0x10;
inline constexpr uint8_t kMetricIntegral = 0x20;
inline constexpr uint8_t kMetricKnown = kMetricTypeMask | kMetricSampleRate | kMetricDelta | kMetricIntegral;

// Segment files: <20 digits>.seg, the base offset zero-padded.
inline constexpr size_t kSegmentNameDigits = 20;
inline constexpr char kSegmentSuffix[] = ".seg";

}  // namespace ringest::segfmt
