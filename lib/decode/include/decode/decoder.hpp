// The capture decoder: frames in, records out. It follows each IKE SA through the
// capture (IKE_SA_INIT nonces and algorithms, IKE_AUTH and CREATE_CHILD_SA Child SAs),
// decrypts SK/SKF payloads with the keys it was given, derives ESP keys from SK_d
// where no PFS was used (RFC 7296 2.17), and decrypts ESP.
#pragma once

#include "decode/capture.hpp"
#include "decode/ike_tracker.hpp"
#include "decode/key_store.hpp"
#include "decode/packet.hpp"
#include "decode/records.hpp"
#include "esp/sa.hpp"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ikekit::decode {

struct DecoderOptions {
  std::set<uint16_t> ike_ports = {500};   // plain IKE
  std::set<uint16_t> natt_ports = {4500}; // non-ESP marker: IKE; else ESP (RFC 3948)
};

class Decoder {
public:
  Decoder(KeyStore& keys, DecoderOptions options);
  ~Decoder();

  void feed(const Frame& frame, RecordSink& sink);
  // After the last frame: IP datagrams whose fragments never all arrived are reported
  // as malformed records (kind "ip_fragments").
  void finish(RecordSink& sink);
  const Summary& summary() const { return summary_; }
  // IKE SAs seen, with their algorithms (for --emit-wireshark).
  const IkeTracker& tracker() const { return tracker_; }

private:
  void on_ike(const PacketMeta& meta, ByteView datagram, bool marker, RecordSink& sink);
  void on_esp(const PacketMeta& meta, ByteView esp, bool udp_encap, RecordSink& sink);
  void malformed(const PacketMeta& meta, std::string kind, Error e, RecordSink& sink);
  void report_incomplete(const IpReassembler::Incomplete& i, RecordSink& sink);
  void count_undecrypted(const std::optional<Error>& problem);
  esp::EspSaIn* esp_sa_for(ChildSaKeys& keys, std::optional<Error>& problem);

  KeyStore& keys_;
  DecoderOptions options_;
  IkeTracker tracker_;
  IpReassembler reassembler_;
  Summary summary_;
  Bytes scratch_; // the current ESP packet, decrypted in place
  struct CachedSa {
    uint64_t generation = 0;
    std::unique_ptr<esp::EspSaIn> sa;
  };
  std::map<const ChildSaKeys*, CachedSa> esp_sas_; // crypto contexts, made once per SA
};

} // namespace ikekit::decode
