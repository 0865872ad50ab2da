#include "decode/session.hpp"

namespace ikekit::decode {

Result<std::unique_ptr<DecodeSession>> DecodeSession::open(const SessionOptions& options) {
  KeyStore keys;
  std::vector<KeyFileInfo> infos;
  for (const auto& path : options.key_files) {
    size_t ike_before = keys.ike_sas().size(), child_before = keys.child_sas().size();
    size_t logs_before = keys.logs().size();
    auto format = load_key_file(path, keys, SecretAccess::shared_ok, options.key_format);
    if (!format) return format.error();
    KeyFileInfo info{path,
                     *format,
                     keys.ike_sas().size() - ike_before,
                     keys.child_sas().size() - child_before,
                     {}};
    if (keys.logs().size() > logs_before) {
      const LogKeys& log = keys.logs().back();
      info.ike_sas = log.ike().size();
      info.child_sas = log.child().size();
      info.problems = log.problems();
    }
    infos.push_back(std::move(info));
  }
  auto capture = Capture::open(options.capture);
  if (!capture) return capture.error();
  std::unique_ptr<DecodeSession> s(new DecodeSession(std::move(*capture)));
  s->keys_ = std::move(keys);
  s->key_files_ = std::move(infos);
  DecoderOptions d;
  d.ike_ports.insert(options.ike_ports.begin(), options.ike_ports.end());
  d.tcp_ports.insert(options.tcp_ports.begin(), options.tcp_ports.end());
  s->decoder_ = std::make_unique<Decoder>(s->keys_, d);
  return s;
}

Result<void> DecodeSession::run(RecordSink& sink) {
  for (;;) {
    auto frame = capture_.next();
    if (!frame) return frame.error();
    if (!*frame) {
      decoder_->finish(sink);
      return {};
    }
    decoder_->feed(**frame, sink);
  }
}

Result<WiresharkExport> DecodeSession::emit_wireshark(const std::string& dir) const {
  return write_wireshark_tables(dir, keys_, decoder_->tracker());
}

} // namespace ikekit::decode
