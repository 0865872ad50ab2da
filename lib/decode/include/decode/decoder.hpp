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
#include "decode/tcp_streams.hpp"
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
  // TCP ports of RFC 9329 streams (the RFC fixes none; 4500 is usual, 443 common).
  std::set<uint16_t> tcp_ports = {4500};
};

class Decoder {
public:
  Decoder(KeyStore& keys, DecoderOptions options);
  ~Decoder();

  void feed(const Frame& frame, RecordSink& sink);
  // After the last frame: IP datagrams whose fragments never all arrived are reported
  // as malformed records (kind "ip_fragments"), TCP streams cut inside a frame or with
  // a gap that never filled as kind "tcp".
  void finish(RecordSink& sink);
  const Summary& summary() const { return summary_; }
  // IKE SAs seen, with their algorithms (for --emit-wireshark).
  const IkeTracker& tracker() const { return tracker_; }

private:
  void on_encapsulated(const PacketMeta& meta, const Packet& p, RecordSink& sink);
  void on_tcp(PacketMeta meta, const Packet& p, RecordSink& sink);
  void drain_tcp(PacketMeta meta, RecordSink& sink);
  void on_ike(const PacketMeta& meta, ByteView datagram, Transport transport, bool marker,
              RecordSink& sink);
  void on_esp(const PacketMeta& meta, ByteView esp, Transport transport, RecordSink& sink);
  void malformed(const PacketMeta& meta, std::string kind, Error e, RecordSink& sink);
  void report_incomplete(const IpReassembler::Incomplete& i, RecordSink& sink);
  void count_undecrypted(const std::optional<Error>& problem);
  void check_payload_rules(IkeRecord& record);
  esp::EspSaIn* esp_sa_for(ChildSaKeys& keys, std::optional<Error>& problem);

  KeyStore& keys_;
  DecoderOptions options_;
  IkeTracker tracker_;
  IpReassembler reassembler_;
  TcpStreams tcp_;
  uint64_t udp_keepalives_ = 0;
  PacketMeta last_frame_; // frame number and time of the last frame fed
  Summary summary_;
  Bytes scratch_; // the current ESP packet, decrypted in place
  struct CachedSa {
    uint64_t generation = 0;
    std::unique_ptr<esp::EspSaIn> sa;
  };
  std::map<const ChildSaKeys*, CachedSa> esp_sas_; // crypto contexts, made once per SA
};

} // namespace ikekit::decode
