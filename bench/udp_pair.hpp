// ike-bench's initiator engine (handshake_udp_initiator.hpp) against a responder it
// starts itself, over UDP between the two namespaces of a NetnsPair: the initiator's
// sockets in the left namespace, the responder (responder.hpp) in the right, a fresh
// random PSK, Child SA selectors on the inner addresses. What `handshake --mode udp` and
// `flood` share.
#pragma once

#include "base/result.hpp"
#include "bench/files.hpp"
#include "bench/handshake_udp_initiator.hpp"
#include "bench/netns.hpp"
#include "bench/responder.hpp"

#include "json/output.hpp"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ikekit::bench {

struct UdpPairOptions {
  std::string peer = "ikekit"; // the responder: ikekit | strongswan
  std::string ike_proposal, esp_proposal;
  bool unthrottled = true;             // ResponderSpec::unthrottled
  bool control_socket = false;         // ikekit: a control socket in the run's directory
  std::vector<std::string> extra_args; // ikekit: more ike-up flags
  std::string ike_up_binary;           // "" -> ike-up next to this executable
};

// Members in teardown order (reverse): the initiator's sockets, the responder, its
// files, the namespaces.
struct UdpPair {
  std::optional<NetnsPair> netns;
  PrivateDir dir;
  std::unique_ptr<Responder> responder;
  std::unique_ptr<UdpInitiator> initiator;
  std::string control_socket; // the responder's, "" when none

  // {"program","pid","namespaces","address","traffic_selectors","settings"}
  json::Json responder_json() const;
  std::string traffic_selectors;
};

// Proposals of `opts` parsed into initiator options (Errc::usage naming the flag).
Result<UdpInitiatorOptions> initiator_options(const std::string& ike_proposal,
                                              const std::string& esp_proposal);

// Creates the namespaces, starts the responder and opens the initiator (with `io`'s
// proposals) in the left namespace. On error what was created is removed with `pair`.
Result<void> start_udp_pair(const UdpPairOptions& opts, UdpInitiatorOptions io, UdpPair& pair);

// One untimed handshake (ARP, the responder's first-use costs); Errc::protocol when it
// fails, interrupted_error() on a stop signal.
Result<void> warm_up(UdpInitiator& initiator);

} // namespace ikekit::bench
