// The RADIUS client (NAS) side of RFC 2865 / RFC 3579, sans-I/O: it turns Access-Requests
// into datagrams for a list of servers and the matching responses into Responses, on
// time it is handed (DESIGN 1).
//
// - Identifiers: one 8-bit space per server (RFC 2865 3: the Identifier matches a
//   response to its request per source address and port); a free one is taken per
//   request and returned when the request ends.
// - Retransmission (RFC 2865 2.4, RFC 5080 2.2.1): the same datagram (same Identifier and
//   Request Authenticator) after `timeout`, `transmissions` times in all per server.
// - Fail-over: when a server stays silent, the request is rebuilt for the next server
//   (its secret, a new Identifier and Request Authenticator) and later requests start
//   there. A request carrying State belongs to the server that issued it (RFC 2865
//   5.24) and is not failed over: it times out instead.
// - Responses that are malformed, unsolicited, or fail the Response Authenticator or the
//   Message-Authenticator (RFC 3579 3.2) are silently discarded and counted.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/secret_bytes.hpp"
#include "base/time.hpp"
#include "radius/packet.hpp"

#include <array>
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::radius {

struct ClientConfig {
  std::vector<SecretBytes> secrets; // one per server, in fail-over order
  Duration timeout = std::chrono::seconds(2);
  unsigned transmissions = 3; // per server, the first one included
};

using RequestHandle = uint64_t;

enum class Outcome : uint8_t { accept, reject, challenge, timeout };
std::string_view outcome_name(Outcome o);

struct Response {
  RequestHandle handle = 0;
  Outcome outcome = Outcome::timeout;
  size_t server = 0; // the server that answered (or the last one tried)
  Bytes eap_message; // EAP-Message attributes joined (RFC 3579 3.1)
  Bytes state;       // State to echo in the next request (RFC 2865 5.24)
  std::string reply_message;
  SecretBytes mppe_send_key; // RFC 2548 2.4.2, decrypted
  SecretBytes mppe_recv_key; // RFC 2548 2.4.3
};

enum class DropReason : uint8_t {
  malformed,          // the codec refused the datagram
  unknown_identifier, // no outstanding request with this Identifier at this server
  bad_authenticator,  // Response Authenticator or Message-Authenticator mismatch
  unexpected_code,    // not Accept, Reject or Challenge
  bad_attribute,      // an MPPE key that does not decrypt, an oversized EAP-Message
};
inline constexpr size_t kDropReasonCount = 5;
std::string_view drop_reason_name(DropReason r);

struct ClientStats {
  uint64_t requests = 0;
  uint64_t transmissions = 0;
  uint64_t retransmissions = 0;
  uint64_t failovers = 0;
  uint64_t timeouts = 0;
  uint64_t responses = 0;
  std::array<uint64_t, kDropReasonCount> dropped{};
};

struct Transmit {
  size_t server = 0; // index into ClientConfig::secrets and the caller's address list
  size_t size = 0;   // bytes written into `out`
};

class Client {
public:
  Client(ClientConfig config, Rng& rng);

  // Queues an Access-Request; it goes out with the next poll_transmit.
  Result<RequestHandle> send(const AccessRequest& request, TimePoint now);
  std::optional<Transmit> poll_transmit(MutBytes out);
  // One datagram from server `server`.
  void receive(size_t server, ByteView datagram, TimePoint now);
  void on_timeout(TimePoint now);
  std::optional<TimePoint> next_timeout() const;
  std::optional<Response> poll_response();

  size_t current_server() const { return current_server_; }
  size_t outstanding() const { return pending_.size(); }
  bool outstanding(RequestHandle handle) const;
  const ClientStats& stats() const { return stats_; }

private:
  struct Pending {
    RequestHandle handle = 0;
    size_t server = 0;
    uint8_t identifier = 0;
    std::array<uint8_t, kAuthenticatorSize> authenticator{};
    // What the request carries, kept to rebuild it for another server.
    std::string user_name, nas_identifier, calling_station_id;
    Bytes eap_message, state;
    std::optional<IpAddress> nas_ip;
    uint16_t framed_mtu = 0;
    Bytes datagram;
    unsigned sent = 0; // transmissions to the current server
    bool due = true;   // waiting for poll_transmit
    TimePoint deadline{};
    size_t servers_tried = 1;
  };

  Result<void> build(Pending& p);
  std::optional<uint8_t> take_identifier(size_t server);
  void drop(DropReason r) { ++stats_.dropped[size_t(r)]; }
  void finish(std::vector<Pending>::iterator it, Response r, bool release_identifier = true);
  Result<Response> response_from(const Pending& p, const Packet& packet) const;

  ClientConfig config_;
  Rng& rng_;
  std::vector<Pending> pending_;
  std::vector<std::bitset<256>> ids_in_use_;
  std::vector<uint8_t> next_id_;
  std::vector<Response> responses_;
  RequestHandle next_handle_ = 1;
  size_t current_server_ = 0;
  ClientStats stats_;
};

} // namespace ikekit::radius
