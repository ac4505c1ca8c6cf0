// Reads pcap and pcapng files through libpcap (offline), with nanosecond
// timestamps whatever resolution the file was written at.
//
// Not thread-safe. A Frame's bytes stay valid until the next call to next().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/status.h"

typedef struct pcap pcap_t;

namespace ringest::capture {

struct Frame {
  int64_t ts_ns = 0;               // capture timestamp, since the Unix epoch
  std::span<const uint8_t> bytes;  // captured bytes (caplen)
  uint32_t orig_len = 0;           // length on the wire
};

class Reader {
 public:
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Opens `path` (pcap or pcapng; "-" is stdin).
  static Status open(const std::string& path, std::unique_ptr<Reader>& out);

  // The file's link type as a LINKTYPE_ number (see decode.h).
  uint32_t link_type() const { return link_type_; }

  // Next frame; false at the end of the file or on a read error (then
  // error() says what went wrong — a file truncated mid-record, for one).
  bool next(Frame& out);
  const std::string& error() const { return error_; }

 private:
  Reader() = default;
  pcap_t* pcap_ = nullptr;
  uint32_t link_type_ = 0;
  std::string error_;
};

}  // namespace ringest::capture
