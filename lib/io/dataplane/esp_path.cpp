#include "io/dataplane/esp_path.hpp"

#include <string>

namespace ikekit::io::dataplane {

namespace {

std::string family_name(IpAddress::Family f) {
  return f == IpAddress::Family::v4 ? "IPv4" : "IPv6";
}

} // namespace

Result<EspPath> choose_esp_path(const EspSockets& have, const EspPathRequest& want) {
  if (want.stream) return EspPath::stream; // the TCP stream carries either family
  const IpAddress::Family f = want.local.family();
  if (want.remote.family() != f)
    return make_error(Errc::bad_value, "remote",
                      family_name(want.remote.family()) + " peer " + want.remote.to_string() +
                          " from " + family_name(f) + " address " + want.local.to_string() +
                          ": a pair's outer addresses are of one family");
  if (want.udp_encap) {
    if (!have.udp_encap)
      return make_error(Errc::bad_value, "udp_encap",
                        "this data plane sends ESP over IP (protocol 50)");
    const IpAddress::Family socket = want.udp_family.value_or(have.family);
    if (socket != f)
      return make_error(Errc::bad_value, "local",
                        "ESP in UDP from " + want.local.to_string() + ": the socket is " +
                            family_name(socket) + ", not " + family_name(f));
    return EspPath::udp;
  }
  if (!have.udp_encap) { // esp-tunnel's own raw socket, bound to an address
    if (have.family != f)
      return make_error(Errc::bad_value, "local",
                        "ESP over IP from " + want.local.to_string() +
                            ": this data plane's raw socket is " + family_name(have.family));
    return EspPath::plain;
  }
  if (!have.plain_v4 && !have.plain_v6)
    return make_error(Errc::bad_value, "udp_encap",
                      "this data plane sends ESP in UDP (RFC 3948) only: no plain ESP socket");
  if (!have.plain(f))
    return make_error(Errc::bad_value, "local",
                      "ESP over IP from " + want.local.to_string() + ": no plain ESP socket of " +
                          family_name(f) + " (the kernel refused a raw " + family_name(f) +
                          " socket)");
  return EspPath::plain;
}

} // namespace ikekit::io::dataplane
