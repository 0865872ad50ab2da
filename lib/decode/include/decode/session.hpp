// One ike-decode run: key files loaded, then the capture decoded frame by frame.
#pragma once

#include "decode/capture.hpp"
#include "decode/decoder.hpp"
#include "decode/key_file.hpp"
#include "decode/wireshark_export.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ikekit::decode {

struct SessionOptions {
  std::string capture;
  std::vector<std::string> key_files;
  std::optional<KeyFileFormat> key_format; // --keys-format; detected per file when absent
  std::vector<uint16_t> ike_ports;         // in addition to 500 (and 4500 with the marker)
  std::vector<uint16_t> tcp_ports;         // RFC 9329 streams, in addition to TCP 4500
};

struct KeyFileInfo {
  std::string path;
  KeyFileFormat format;
  size_t ike_sas = 0; // entries the file added (for a daemon log: its key blocks)
  size_t child_sas = 0;
  std::vector<Error> problems; // a daemon log's unusable parts, each naming file:line
};

class DecodeSession {
public:
  // Key file problems are Errc::usage (exit 2), an unreadable capture Errc::io (exit 1).
  static Result<std::unique_ptr<DecodeSession>> open(const SessionOptions& options);

  const std::vector<KeyFileInfo>& key_files() const { return key_files_; }
  // Decodes every frame into `sink`; Errc::io when the capture is damaged mid-way.
  Result<void> run(RecordSink& sink);
  const Summary& summary() const { return decoder_->summary(); }
  Result<WiresharkExport> emit_wireshark(const std::string& dir) const;

private:
  DecodeSession(Capture capture) : capture_(std::move(capture)) {}
  Capture capture_;
  KeyStore keys_;
  std::vector<KeyFileInfo> key_files_;
  std::unique_ptr<Decoder> decoder_;
};

} // namespace ikekit::decode
