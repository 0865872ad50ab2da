// Reading pcap and pcapng files through libpcap, one frame at a time.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>

typedef struct pcap pcap_t;

namespace ikekit::decode {

struct Frame {
  uint64_t number = 0; // 1-based, as Wireshark numbers frames
  int64_t ts_sec = 0;
  int64_t ts_usec = 0;
  int linktype = 0; // DLT_* value
  ByteView data;    // valid until the next call to next()
};

class Capture {
public:
  // Errc::io naming the path when the file is missing or not a capture.
  static Result<Capture> open(const std::string& path);
  Capture(Capture&& o) noexcept : pcap_(o.pcap_), count_(o.count_) { o.pcap_ = nullptr; }
  Capture& operator=(Capture&&) = delete;
  ~Capture();

  // The next frame, std::nullopt at the end, Errc::io when the file is damaged.
  Result<std::optional<Frame>> next();

private:
  explicit Capture(pcap_t* p) : pcap_(p) {}
  pcap_t* pcap_;
  uint64_t count_ = 0;
};

} // namespace ikekit::decode
