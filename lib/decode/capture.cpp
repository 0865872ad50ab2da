#include "decode/capture.hpp"

#include <pcap/pcap.h>

namespace ikekit::decode {

Result<Capture> Capture::open(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (!p) return make_error(Errc::io, "capture", path + ": " + err);
  return Capture(p);
}

Capture::~Capture() {
  if (pcap_) pcap_close(pcap_);
}

Result<std::optional<Frame>> Capture::next() {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(pcap_, &hdr, &data);
  if (rc == PCAP_ERROR_BREAK) return std::optional<Frame>();
  if (rc != 1)
    return make_error(Errc::io, "capture",
                      "frame " + std::to_string(count_ + 1) + ": " + pcap_geterr(pcap_));
  Frame f;
  f.number = ++count_;
  f.ts_sec = hdr->ts.tv_sec;
  f.ts_usec = hdr->ts.tv_usec;
  f.linktype = pcap_datalink(pcap_);
  f.data = ByteView(data, hdr->caplen);
  return std::optional<Frame>(f);
}

} // namespace ikekit::decode
