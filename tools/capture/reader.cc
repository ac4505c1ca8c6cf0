#include "tools/capture/reader.h"

#include <pcap/pcap.h>

#include "tools/capture/decode.h"

namespace ringest::capture {

Reader::~Reader() {
  if (pcap_) pcap_close(pcap_);
}

Status Reader::open(const std::string& path, std::unique_ptr<Reader>& out) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) return Status::invalid(path + ": " + err);
  out.reset(new Reader());
  out->pcap_ = p;
  // libpcap reports DLT_ values; they equal the file's LINKTYPE_ values except
  // for raw IP, whose DLT number differs between platforms.
  const int dlt = pcap_datalink(p);
  out->link_type_ = dlt == DLT_RAW ? uint32_t(kLinkRaw) : uint32_t(dlt);
  return Status();
}

bool Reader::next(Frame& out) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int r = pcap_next_ex(pcap_, &hdr, &data);
  if (r == 1) {
    out.ts_ns = int64_t(hdr->ts.tv_sec) * 1'000'000'000 + int64_t(hdr->ts.tv_usec);
    out.bytes = std::span<const uint8_t>(data, hdr->caplen);
    out.orig_len = hdr->len;
    return true;
  }
  if (r == PCAP_ERROR) error_ = pcap_geterr(pcap_);
  return false;
}

}  // namespace ringest::capture
