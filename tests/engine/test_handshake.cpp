// RFC 7296 1.2: the initial exchanges between two engines with a PSK.
//
//   Initiator (left, 10.0.0.1)          Responder (right, 10.0.0.2)
//   HDR, SAi1, KEi, Ni, N(NAT_D)x2, N(FRAG), N(SIG_HASH)  -->
//                                  <--  HDR, SAr1, KEr, Nr, N(NAT_D)x2, N(FRAG), N(SIG_HASH)
//   HDR, SK {IDi, N(INITIAL_CONTACT), IDr, AUTH, SAi2, TSi, TSr}  -->
//                                  <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

TEST_CASE("PSK handshake: IKE SA and Child SA up on both sides with paired SPIs and keys",
          "[engine][ike_auth]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1"));
  l.emit_keys = r.emit_keys = true;
  Pair p(l, r);
  SaId id = p.initiate();
  REQUIRE(id != 0);
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));

  auto li = p.left->all<IkeSaUp>(), ri = p.right->all<IkeSaUp>();
  REQUIRE(li.size() == 1);
  REQUIRE(ri.size() == 1);
  CHECK(li[0].initiator);
  CHECK_FALSE(ri[0].initiator);
  CHECK(li[0].spi_i == ri[0].spi_i);
  CHECK(li[0].spi_r == ri[0].spi_r);
  CHECK(li[0].encr == "aes256gcm16");
  CHECK(li[0].prf == "prfsha256");
  CHECK(li[0].ke == "ecp256");
  CHECK(li[0].integ.empty());
  CHECK(li[0].remote_id.to_string() == "10.0.0.2");
  CHECK(ri[0].remote_id.to_string() == "10.0.0.1");
  CHECK(li[0].remote_auth == "psk");
  // No NAT, but MOBIKE is on (the default): IKE went to port 4500 for IKE_AUTH (RFC 4555
  // 3.3) and ESP stays plain.
  CHECK(li[0].nat_t);
  CHECK(li[0].encap == Encap::none);

  auto lc = p.left->all<ChildSaUp>(), rc = p.right->all<ChildSaUp>();
  REQUIRE(lc.size() == 1);
  REQUIRE(rc.size() == 1);
  CHECK(lc[0].spi_in == rc[0].spi_out);
  CHECK(lc[0].spi_out == rc[0].spi_in);
  CHECK(lc[0].encr == "aes256gcm16");
  CHECK(lc[0].mode == ChildMode::tunnel);
  CHECK(lc[0].local_ts == std::vector<TsSpec>{TsSpec::host(ip("10.0.0.1"))});
  CHECK(rc[0].local_ts == std::vector<TsSpec>{TsSpec::host(ip("10.0.0.2"))});

  // Keys: the IKE SA's are the same on both sides, a Child SA's in == the peer's out.
  const IkeSaKeys* lk = nullptr;
  const IkeSaKeys* rk = nullptr;
  for (auto& e : p.left->events)
    if (auto* k = std::get_if<SaKeys>(&e)) lk = &k->keys;
  for (auto& e : p.right->events)
    if (auto* k = std::get_if<SaKeys>(&e)) rk = &k->keys;
  REQUIRE(lk);
  REQUIRE(rk);
  // ChildSaUp carries its connection and the Child SA's keys.
  CHECK(lc[0].peer == "home");
  CHECK(rc[0].peer == "gw");
  CHECK(lc[0].integ_in.empty());
  CHECK(equal_bytes(lk->sk_d.reveal(), rk->sk_d.reveal()));
  CHECK(equal_bytes(lk->sk_ei.reveal(), rk->sk_ei.reveal()));
  CHECK(lk->sk_ei.size() == 36); // AES-256 key || 4-byte salt
  CHECK(lc[0].spi_in == rc[0].spi_out);
  CHECK(equal_bytes(lc[0].encr_in.reveal(), rc[0].encr_out.reveal()));
  CHECK(equal_bytes(lc[0].encr_out.reveal(), rc[0].encr_in.reveal()));
  CHECK_FALSE(equal_bytes(lc[0].encr_in.reveal(), lc[0].encr_out.reveal()));

  // Nothing dropped, no retransmissions, nothing left in flight.
  CHECK(p.left->engine->stats().dropped_total() == 0);
  CHECK(p.right->engine->stats().dropped_total() == 0);
  CHECK(p.left->engine->stats().retransmissions == 0);
  auto sas = p.left->engine->list_sas();
  REQUIRE(sas.size() == 1);
  CHECK(sas[0].state == IkeSaState::established);
  CHECK(sas[0].children.size() == 1);
  CHECK(sas[0].next_message_id_out == 2);
}

TEST_CASE("no SaKeys events unless asked for", "[engine][keys]") {
  Pair p = Pair::psk();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->count<SaKeys>() == 0);
  CHECK(p.right->count<SaKeys>() == 0);
}

TEST_CASE("without emit_keys: no SaKeys, and ChildSaUp still has the Child SA's keys",
          "[engine][keys]") {
  Pair p(config_with(psk_peer("home", "10.0.0.1", "10.0.0.2")),
         config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->count<SaKeys>() == 0);
  auto up = p.left->all<ChildSaUp>();
  REQUIRE(up.size() == 1);
  CHECK_FALSE(up[0].encr_in.empty());
  CHECK_FALSE(up[0].encr_out.empty());
}

TEST_CASE("classic proposals: aes128-sha256-modp2048 with ESP aes128-sha256 and ESN",
          "[engine][proposal]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "aes128-sha256-modp2048", "aes128-sha256-esn");
  auto r =
      psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes128-sha256-modp2048", "aes128-sha256-esn-noesn");
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto up = p.left->all<IkeSaUp>()[0];
  CHECK(up.integ == "sha256");
  CHECK(up.prf == "prfsha256");
  CHECK(up.ke == "modp2048");
  auto c = p.left->all<ChildSaUp>()[0];
  CHECK(c.integ == "sha256");
  CHECK(c.esn);
}

TEST_CASE("chacha20poly1305 with x25519", "[engine][proposal]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "chacha20poly1305-prfsha256-x25519",
                    "chacha20poly1305");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1", "chacha20poly1305-prfsha256-x25519",
                    "chacha20poly1305");
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.right->all<IkeSaUp>()[0].ke == "x25519");
}

TEST_CASE("identities: RFC822, FQDN and key id", "[engine][id]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.local_id = *Identity::parse("left@ia.test");
  r.remote_id = l.local_id;
  r.local_id = *Identity::parse("right.ia.test");
  l.remote_id = r.local_id;
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.right->all<IkeSaUp>()[0].remote_id.type == wire::IdType::id_rfc822_addr);
  CHECK(p.left->all<IkeSaUp>()[0].remote_id.type == wire::IdType::id_fqdn);
}

TEST_CASE("responder picks the connection by IDi", "[engine][id][config]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-ecp256", "aes256gcm16",
                    "second-psk");
  l.local_id = *Identity::parse("carol@ia.test");
  auto r1 = psk_peer("alice", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256", "aes256gcm16",
                     "first-psk");
  r1.remote_id = *Identity::parse("alice@ia.test");
  r1.remote_address.reset();
  auto r2 = psk_peer("carol", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256", "aes256gcm16",
                     "second-psk");
  r2.remote_id = *Identity::parse("carol@ia.test");
  r2.remote_address.reset();
  Config rc;
  rc.peers = {r1, r2};
  Pair p(config_with(l), rc);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.right->all<IkeSaUp>()[0].peer == "carol");
}

TEST_CASE("transport mode via USE_TRANSPORT_MODE", "[engine][child]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  l.child.mode = r.child.mode = ChildMode::transport;
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->all<ChildSaUp>()[0].mode == ChildMode::transport);
  CHECK(p.right->all<ChildSaUp>()[0].mode == ChildMode::transport);
}

TEST_CASE("force_encap: both float to 4500 and UDP-encapsulate ESP (RFC 7296 2.23)",
          "[engine][nat]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  l.force_encap = true;
  Pair p(config_with(l), config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  std::vector<std::pair<uint16_t, bool>> ports;
  p.net.tap = [&](Bytes&, const Transmit& t) {
    ports.emplace_back(t.remote.port, t.nat_t);
    return true;
  };
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(ports.size() == 4);
  CHECK(ports[0] == std::pair<uint16_t, bool>{500, false});
  CHECK(ports[1] == std::pair<uint16_t, bool>{500, false});
  CHECK(ports[2] == std::pair<uint16_t, bool>{4500, true});
  CHECK(ports[3] == std::pair<uint16_t, bool>{4500, true});
  auto lu = p.left->all<IkeSaUp>()[0], ru = p.right->all<IkeSaUp>()[0];
  CHECK(lu.nat_t);
  // Forced is not detected: no NAT between them, so our side reports none; the peer
  // sees our fake NATD hash and so reports us behind one (it cannot tell).
  CHECK(lu.encap == Encap::forced);
  CHECK_FALSE(lu.nat_local);
  CHECK_FALSE(lu.nat_remote);
  CHECK(ru.nat_t);
  CHECK(ru.nat_remote);
  CHECK(ru.encap == Encap::nat); // what right detected
  auto li = p.left->engine->list_sas();
  REQUIRE(li.size() == 1);
  CHECK(li[0].encap == Encap::forced);
  CHECK_FALSE(li[0].nat_local);
  CHECK(ru.local.port == 4500);
  CHECK(p.left->all<ChildSaUp>()[0].udp_encap);
  CHECK(p.right->all<ChildSaUp>()[0].udp_encap);
}
