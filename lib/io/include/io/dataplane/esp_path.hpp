// Which of the TUN data plane's sockets carries a pair's ESP, and whether it has one of
// the pair's address family. Sans-I/O: the data plane (tun_dataplane.cpp) describes
// the sockets it holds and the path a pair asks for; the answer is the path or the
// reason it has none.
//
// esp-tunnel's data plane has one socket of its own, bound to one address: UDP
// (RFC 3948) or raw ESP (IP protocol 50), so it carries ESP of that family only. A data
// plane on ike-up's sockets (shared) sends UDP-encapsulated ESP from ike-up's NAT-T
// socket of the pair's local address, and plain ESP (no NAT) through an unbound raw
// socket of each address family it could open, IPv4 and IPv6: the connections of one
// ike-up may listen on both families, and MOBIKE (RFC 4555) may move an IKE SA from one
// to the other.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"

#include <optional>

namespace ikekit::io::dataplane {

enum class EspPath {
  stream, // RFC 9329: in the IKE SA's TCP stream, no socket of the data plane
  udp,    // RFC 3948: a UDP socket (the pair's own in shared mode, else the data plane's)
  plain,  // RFC 4303 over IP: the raw socket of the family (or esp-tunnel's own)
};

// The sockets a data plane holds.
struct EspSockets {
  bool udp_encap = true;                            // its main socket: UDP, or raw ESP
  IpAddress::Family family = IpAddress::Family::v4; // the main socket's
  bool plain_v4 = false, plain_v6 = false;          // shared mode: the raw plain ESP sockets
  bool plain(IpAddress::Family f) const { return f == IpAddress::Family::v4 ? plain_v4 : plain_v6; }
};

// The path a pair asks for.
struct EspPathRequest {
  IpAddress local, remote; // the pair's outer addresses
  bool udp_encap = true;
  bool stream = false; // its ESP goes in a TCP stream (RFC 9329)
  // Shared mode: the family of the UDP socket the pair sends from (its own); nullopt:
  // the main socket.
  std::optional<IpAddress::Family> udp_family;
};

// The path, or Errc::bad_value naming what is missing: outer addresses of two families
// ("remote"), UDP encapsulation where the data plane sends raw ESP or the reverse
// ("udp_encap"), no socket of the pair's family ("local").
Result<EspPath> choose_esp_path(const EspSockets& have, const EspPathRequest& want);

} // namespace ikekit::io::dataplane
