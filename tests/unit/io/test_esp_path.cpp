// choose_esp_path (io/dataplane/esp_path.hpp): which socket of the TUN data plane carries
// a pair's ESP. ike-up's data plane (shared sockets) serves pairs of both address
// families: UDP-encapsulated ESP from the pair's own NAT-T socket, plain ESP through the
// raw socket of its family. Before, every pair whose family differed from the first
// connection's was refused ("address family differs from the data plane's socket").
// esp-tunnel's data plane (one socket, bound) keeps serving its own family only.
#include "io/dataplane/esp_path.hpp"
#include "ip_literal.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::io::dataplane;
using ikekit::test::ip;
using Family = IpAddress::Family;

namespace {

// ike-up's: the default UDP socket is the first connection's (IPv4), raw sockets of both.
const EspSockets kShared{
    .udp_encap = true, .family = Family::v4, .plain_v4 = true, .plain_v6 = true};

EspPathRequest v4(bool udp, std::optional<Family> socket = std::nullopt) {
  return {ip("10.0.0.1"), ip("10.0.0.2"), udp, false, socket};
}
EspPathRequest v6(bool udp, std::optional<Family> socket = std::nullopt) {
  return {ip("fd00::1"), ip("fd00::2"), udp, false, socket};
}

// The path, or nullopt; the refusal's field, or "" when the path was given.
std::optional<EspPath> path(const EspSockets& have, const EspPathRequest& want) {
  auto r = choose_esp_path(have, want);
  return r ? std::optional<EspPath>(*r) : std::nullopt;
}
std::string refused(const EspSockets& have, const EspPathRequest& want) {
  auto r = choose_esp_path(have, want);
  return r ? std::string() : r.error().field;
}

} // namespace

TEST_CASE("esp path: ike-up's data plane carries plain ESP of both families") {
  CHECK(path(kShared, v4(false)) == EspPath::plain);
  CHECK(path(kShared, v6(false)) == EspPath::plain);
  EspSockets v6_first = kShared;
  v6_first.family = Family::v6;
  CHECK(path(v6_first, v4(false)) == EspPath::plain);
}

TEST_CASE("esp path: UDP from the pair's own NAT-T socket, of the pair's family") {
  CHECK(path(kShared, v4(true)) == EspPath::udp);             // the default socket
  CHECK(path(kShared, v6(true, Family::v6)) == EspPath::udp); // its own
  auto r = choose_esp_path(kShared, v6(true));                // no socket named: the default, IPv4
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_value);
  CHECK(r.error().field == "local");
  CHECK(r.error().message.find("the socket is IPv4, not IPv6") != std::string::npos);
  r = choose_esp_path(kShared, v4(true, Family::v6)); // a socket of the other family
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "local");
}

TEST_CASE("esp path: a family without its raw socket is refused, naming it") {
  EspSockets no_v6 = kShared;
  no_v6.plain_v6 = false; // the kernel refused a raw IPv6 socket
  CHECK(path(no_v6, v4(false)) == EspPath::plain);
  auto r = choose_esp_path(no_v6, v6(false));
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "local");
  CHECK(r.error().message.find("no plain ESP socket of IPv6") != std::string::npos);
  CHECK(path(no_v6, v6(true, Family::v6)) == EspPath::udp); // UDP still

  EspSockets udp_only = kShared;
  udp_only.plain_v4 = udp_only.plain_v6 = false;
  r = choose_esp_path(udp_only, v4(false));
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "udp_encap");
}

TEST_CASE("esp path: a pair's outer addresses are of one family") {
  auto r = choose_esp_path(kShared, {ip("10.0.0.1"), ip("fd00::2"), false, false, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "remote");
  CHECK(r.error().message.find("one family") != std::string::npos);
}

TEST_CASE("esp path: esp-tunnel's one bound socket serves its own family and encapsulation") {
  const EspSockets udp4{.udp_encap = true, .family = Family::v4};
  CHECK(path(udp4, v4(true)) == EspPath::udp);
  CHECK(refused(udp4, v6(true)) == "local");
  CHECK(refused(udp4, v4(false)) == "udp_encap");

  const EspSockets raw6{.udp_encap = false, .family = Family::v6};
  CHECK(path(raw6, v6(false)) == EspPath::plain);
  CHECK(refused(raw6, v4(false)) == "local");
  CHECK(refused(raw6, v6(true)) == "udp_encap");
}

TEST_CASE("esp path: ESP in a TCP stream needs no socket of the data plane") {
  const EspSockets raw6{.udp_encap = false, .family = Family::v6};
  EspPathRequest s = v4(true);
  s.stream = true;
  CHECK(path(raw6, s) == EspPath::stream);
}
