// What the decoder reports: one record per IKE message or ESP packet, plus counts.
// Records hold views into the current frame (valid during the sink call) and the
// decrypted bytes the decoder owns.
#pragma once

#include "base/bytes.hpp"
#include "base/endpoint.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "decode/log_keys.hpp"
#include "wire/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::decode {

enum class Integrity { ok, failed, unchecked };
std::string_view integrity_name(Integrity i);

// What carried a message: UDP (500, 4500 or an --ike-port), a TCP stream (RFC 9329),
// or, for ESP only, IP itself (protocol 50).
enum class Transport { udp, tcp, ip };
std::string_view transport_name(Transport t);

using ikekit::Endpoint; // port 0 for raw ESP (see endpoint_text)
// "192.0.2.1:500", "[2001:db8::1]:4500", and the address alone for raw ESP (port 0).
std::string endpoint_text(const Endpoint& e);

struct PacketMeta {
  uint64_t frame = 0;
  int64_t ts_sec = 0;
  int64_t ts_usec = 0;
  Endpoint src;
  Endpoint dst;
};

// The outcome for an SK or SKF payload.
struct EncryptedInfo {
  bool decrypted = false;
  Integrity integrity = Integrity::unchecked;
  std::optional<Error> problem; // why it was not decrypted, or what failed
  // Inner payloads (for SKF: only on the fragment that completed the message).
  std::optional<std::vector<wire::RawPayload>> inner;
  std::optional<Error> inner_error; // the decrypted chain did not parse
  // SKF only.
  uint16_t fragment_number = 0;
  uint16_t total_fragments = 0;
  bool completes_message = false;
};

// The engine's payload rules (wire/rules.hpp, RFC 7296 1.2-1.5) applied to a
// captured message: unchecked while its inner payloads are unknown (not decrypted,
// or an SKF fragment that does not complete its message).
enum class RulesCheck { ok, violated, unchecked };
std::string_view rules_check_name(RulesCheck r);

// Why an IKE SA moved to other endpoints: an authenticated UPDATE_SA_ADDRESSES request
// (MOBIKE, RFC 4555 3.5), or, without MOBIKE, an authenticated message from a new address
// or port (a NAT mapping change, RFC 7296 2.23).
enum class MoveReason { mobike, nat_mapping };
std::string_view move_reason_name(MoveReason r);

// A move of an IKE SA, as the capture shows it: the frame of the authenticated message
// that moved it, and its endpoints before and after (the original initiator's and
// responder's, as IKE sees them). Its Child SAs move with it.
struct SaMove {
  uint64_t frame = 0;
  int64_t ts_sec = 0;
  int64_t ts_usec = 0;
  MoveReason reason = MoveReason::mobike;
  Endpoint old_initiator, old_responder;
  Endpoint initiator, responder;
};

struct IkeRecord {
  PacketMeta meta;
  Transport transport = Transport::udp;
  bool non_esp_marker = false; // behind the 4 zero bytes: UDP/4500 (RFC 3948) or TCP (RFC 9329)
  const wire::Message* message = nullptr;
  std::optional<EncryptedInfo> encrypted;
  RulesCheck payload_rules = RulesCheck::unchecked;
  std::optional<Error> payload_rules_error; // which rule, when violated
  std::optional<SaMove> sa_moved;           // the IKE SA's last move up to this message, if any
};

struct InnerPacket {
  uint8_t ip_version = 0; // 0: transport mode / not IP
  std::optional<IpAddress> src;
  std::optional<IpAddress> dst;
  uint8_t protocol = 0;
  size_t length = 0;
};

struct EspRecord {
  PacketMeta meta;
  Transport transport = Transport::ip;
  bool udp_encap = false; // transport == udp (RFC 3948)
  uint32_t spi = 0;
  uint32_t seq = 0;
  size_t length = 0;
  bool decrypted = false;
  Integrity integrity = Integrity::unchecked;
  std::optional<Error> problem;
  uint8_t next_header = 0;
  std::optional<InnerPacket> inner;
  // The last move up to this packet of the IKE SA its Child SA belongs to (when the
  // capture shows which one), if any.
  std::optional<SaMove> sa_moved;
};

struct MalformedRecord {
  PacketMeta meta;
  std::string kind; // "ike", "esp", "frame", "ip_fragments", "tcp"
  Error error;
};

struct Summary {
  uint64_t packets = 0; // frames read
  uint64_t ike_messages = 0;
  uint64_t esp_packets = 0;
  uint64_t decrypted = 0;     // SK/SKF payloads and ESP packets decrypted with a good ICV
  uint64_t undecryptable = 0; // no key, unknown algorithm, or failed integrity
  uint64_t no_key = 0;        // of those: no key was given for the SA
  uint64_t malformed = 0;
  uint64_t payload_rule_violations = 0; // messages the engine would drop (RulesCheck)
  uint64_t nat_keepalives = 0;          // on UDP/4500, and the framed ones in TCP streams
  uint64_t tcp_segments = 0;            // segments of TCP-encapsulation connections taken in
  uint64_t tcp_retransmitted = 0; // of those: retransmissions and overlaps (bytes seen before)
  uint64_t other = 0;             // frames that were neither IKE nor ESP
  // IP and IKE fragments thrown away at the reassembly limits (ike-decode(1) LIMITS).
  uint64_t fragments_dropped = 0;
  uint64_t unmatched_keys = 0; // key blocks of a daemon log that no SA matched
  uint64_t sa_moves = 0;       // IKE SA moves followed (SaMove)
};

class RecordSink {
public:
  virtual ~RecordSink() = default;
  virtual void on_ike(const IkeRecord& r) = 0;
  virtual void on_esp(const EspRecord& r) = 0;
  virtual void on_malformed(const MalformedRecord& r) = 0;
  virtual void on_unmatched_keys(const UnmatchedKeys&) {}
};

} // namespace ikekit::decode
