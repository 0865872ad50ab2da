// The RADIUS side of a responder that passes EAP through (RFC 3579 2, ike/eap_relay.hpp):
// each backend request of the engine becomes an Access-Request of the sans-I/O RADIUS
// client (radius/client.hpp) on its socket (io/radius_transport.hpp), each response an
// answer for the engine:
//
//   Access-Challenge -> challenge (EAP-Message, State)
//   Access-Accept    -> accept, MSK = MS-MPPE-Recv-Key | MS-MPPE-Send-Key (RFC 2548,
//                       as strongSwan's eap-radius builds it)
//   Access-Reject    -> reject (the server and its Reply-Message as detail)
//   no answer        -> timeout, after `transmissions` tries at every server
//
// The Access-Request carries User-Name (the EAP identity), NAS-Identifier, NAS-IP-Address
// (our IKE address) and Calling-Station-Id (the client's outer address, "IP[port]" as
// strongSwan sends it; RFC 3580 3.20).
#pragma once

#include "base/result.hpp"
#include "base/rng.hpp"
#include "ike/eap_relay.hpp"
#include "io/endpoint.hpp"
#include "io/radius_transport.hpp"
#include "radius/client.hpp"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace ikekit::io {

struct RadiusRelayConfig {
  std::vector<Endpoint> servers;    // in fail-over order (RFC 2865 2.4)
  std::vector<SecretBytes> secrets; // one per server
  Duration timeout = std::chrono::seconds(2);
  unsigned transmissions = 3; // per server, the first one included
  std::string nas_identifier = "ikekit";
};

class EapRadiusRelay {
public:
  // Binds the client's socket (Errc::environment/io when it cannot).
  static Result<std::unique_ptr<EapRadiusRelay>> open(RadiusRelayConfig config, Rng& rng);

  int fd() const { return transport_.fd(); }
  // Queues the Access-Request for `r` (an answer `timeout` at once when it cannot be
  // built, e.g. 256 requests outstanding at the server).
  void send(const ike::EapBackendRequest& r, TimePoint now);
  // Sends what is queued (and due again after on_timeout).
  void flush();
  void on_readable(TimePoint now);
  void on_timeout(TimePoint now);
  std::optional<TimePoint> next_timeout() const { return client_.next_timeout(); }
  std::optional<ike::EapBackendAnswer> poll_answer();
  const radius::ClientStats& stats() const { return client_.stats(); }
  const std::vector<Endpoint>& servers() const { return config_.servers; }
  // The server new requests go to (fail-over moves it on, RFC 5080 2.2.1).
  const Endpoint& current_server() const { return config_.servers[client_.current_server()]; }
  size_t outstanding() const { return client_.outstanding(); }

private:
  EapRadiusRelay(RadiusRelayConfig config, Rng& rng, RadiusTransport transport);
  ike::EapBackendAnswer answer_for(radius::Response r) const;

  RadiusRelayConfig config_;
  radius::Client client_;
  RadiusTransport transport_;
  struct Waiting {
    radius::RequestHandle handle = 0;
    ike::BackendToken token = 0;
    uint64_t sa = 0;
  };
  std::vector<Waiting> waiting_;
  std::deque<ike::EapBackendAnswer> ready_;
};

} // namespace ikekit::io
