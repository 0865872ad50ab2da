// strongSwan 5.9.8's IKE_SA_INIT request from the reference capture
// (tests/data/psk-aes256gcm16-ecp256, see tests/data/README.md) fed to our responder:
//
//   strongSwan (10.241.0.1)                         ikekit responder (10.241.0.2)
//   HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
//        N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS),
//        N(REDIRECT_SUPPORTED)  -->
//                                              <--  HDR, SAr1, KEr, Nr, N(NAT_D) ...
//
// strongSwan's userspace ESP makes it claim a NAT, so its IKE_AUTH comes on 4500; that
// one carries strongSwan's own responder SPI, which is not ours: dropped as unknown.
#include "sim.hpp"
#include "test_files.hpp"
#include "wire/ip.hpp"
#include "wire/message.hpp"
#include "wire/udp.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

struct CapturedUdp {
  Endpoint src, dst;
  Bytes payload;
};

// Classic pcap, Ethernet, IPv4, UDP (the reference captures' format).
std::vector<CapturedUdp> read_udp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  Bytes d((std::istreambuf_iterator<char>(f)), {});
  std::vector<CapturedUdp> out;
  size_t pos = 24;
  while (pos + 16 <= d.size()) {
    uint32_t incl = uint32_t(d[pos + 8]) | uint32_t(d[pos + 9]) << 8 | uint32_t(d[pos + 10]) << 16 |
                    uint32_t(d[pos + 11]) << 24;
    pos += 16;
    if (pos + incl > d.size()) break;
    const uint8_t* fr = d.data() + pos;
    pos += incl;
    if (incl < 14 || load_be16(fr + 12) != 0x0800) continue;
    wire::IpHeader ip;
    wire::UdpHeader udp;
    if (wire::parse_ipv4(ByteView(fr + 14, incl - 14), ip) != wire::IpError::none ||
        ip.protocol != wire::kIpProtoUdp ||
        wire::parse_udp(ip.payload, udp) != wire::UdpError::none)
      continue;
    CapturedUdp c;
    c.src = Endpoint{IpAddress::v4(ip.src), udp.src_port};
    c.dst = Endpoint{IpAddress::v4(ip.dst), udp.dst_port};
    c.payload.assign(udp.payload.begin(), udp.payload.end());
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace

TEST_CASE("strongSwan's IKE_SA_INIT request is answered with its proposal",
          "[engine][interop][ike_sa_init]") {
  auto udp = read_udp(ikekit::test::data_dir() + "/psk-aes256gcm16-ecp256/capture.pcap");
  REQUIRE_FALSE(udp.empty());
  const CapturedUdp& req = udp[0];
  REQUIRE(req.dst.port == 500);

  auto r = psk_peer("ia", "10.241.0.2", "10.241.0.1");
  r.local_id = *Identity::parse("right@ia.test");
  r.remote_id = *Identity::parse("left@ia.test");
  r.child.local_ts = {*TsSpec::parse("10.241.2.0/24")};
  r.child.remote_ts = {*TsSpec::parse("10.241.1.0/24")};
  SeededRng rng(5);
  TimePoint now{std::chrono::hours(1)};
  Engine e(config_with(r), rng, now);
  e.receive(Datagram{req.dst, req.src, false, req.payload}, now);
  CHECK(e.stats().dropped_total() == 0);

  Bytes buf(65535);
  auto t = e.poll_transmit(buf);
  REQUIRE(t);
  CHECK(t->remote == req.src);
  CHECK_FALSE(t->nat_t);
  auto m = wire::parse_message(ByteView(buf).first(t->size));
  REQUIRE(m);
  CHECK(m->header.response());
  CHECK(m->find(wire::PayloadType::sa));
  CHECK(m->find(wire::PayloadType::ke));

  auto sas = e.list_sas();
  REQUIRE(sas.size() == 1);
  CHECK(sas[0].state == IkeSaState::half_open);
  CHECK(sas[0].encr == "aes256gcm16");
  CHECK(sas[0].prf == "prfsha256");
  CHECK(sas[0].ke == "ecp256");
  // The request's SPI is strongSwan's; the capture's own answer came from strongSwan.
  auto h = wire::parse_header(req.payload);
  REQUIRE(h);
  CHECK(sas[0].spi_i == h->spi_i);

  // Its IKE_AUTH then arrives on 4500, addressed to the capture's responder SPI (the
  // strongSwan peer's, not ours): dropped and counted, never fatal.
  const CapturedUdp* auth = nullptr;
  for (const auto& u : udp)
    if (u.dst.port == 4500 && u.src.address == req.src.address) {
      auth = &u;
      break;
    }
  REQUIRE(auth);
  REQUIRE(auth->payload.size() > 4);
  ByteView ike(auth->payload.data() + 4, auth->payload.size() - 4); // non-ESP marker stripped
  e.receive(Datagram{auth->dst, auth->src, true, ike}, now);
  CHECK(e.stats().dropped_for(DropReason::unknown_sa) == 1); // strongSwan's SPIr is not ours
}
