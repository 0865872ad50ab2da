// RFC 7296 2.15, 3.6-3.8 and RFC 7427: certificate authentication with the test PKI
// (tests/data/pki, see its README).
//
//   HDR, SAi1, KEi, Ni, N(SIGNATURE_HASH_ALGORITHMS)  -->
//                     <--  HDR, SAr1, KEr, Nr, CERTREQ, N(SIGNATURE_HASH_ALGORITHMS)
//   HDR, SK {IDi, CERT, CERTREQ, IDr, AUTH(14), SAi2, TSi, TSr}  -->
//                     <--  HDR, SK {IDr, CERT, AUTH(14), SAr2, TSi, TSr}
//
// The RSA certificate makes IKE_AUTH big enough to need RFC 7383 fragments when the
// fragment size is small.
#include "pki.hpp"
#include "wire/message.hpp"
#include "wire/payload_notify.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

struct CertPair {
  PeerConfig l = cert_peer("home", "10.0.0.1", "10.0.0.2", "moon.ikekit.test", {"ee-rsa.crt"},
                           "ee-rsa.key", "ca-p256.crt");
  PeerConfig r = cert_peer("gw", "10.0.0.2", "10.0.0.1", "sun.ikekit.test", {"ee-p256.crt"},
                           "ee-p256.key", "ca-rsa.crt");
  Config lc, rc;
  std::chrono::hours after{24 * 30};
  Pair make() {
    lc.peers = {l};
    rc.peers = {r};
    Net probe;
    lc.wall_clock_offset = rc.wall_clock_offset = offset_for(probe.now, "ee-rsa.crt", after);
    return Pair(lc, rc);
  }
};

} // namespace

TEST_CASE("certificates: RSA and ECDSA end entities with Digital Signature (method 14)",
          "[engine][cert]") {
  CertPair cp;
  Pair p = cp.make();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  auto lu = p.left->all<IkeSaUp>()[0], ru = p.right->all<IkeSaUp>()[0];
  CHECK(lu.remote_id.to_string() == "sun.ikekit.test");
  CHECK(ru.remote_id.to_string() == "moon.ikekit.test");
  CHECK(lu.local_auth.find("rsa") != std::string::npos);
  CHECK(lu.remote_auth.find("ecdsa") != std::string::npos);
  CHECK(ru.remote_auth == lu.local_auth);
}

TEST_CASE("certificates: a chain with an intermediate CA", "[engine][cert]") {
  CertPair cp;
  cp.l = cert_peer("home", "10.0.0.1", "10.0.0.2", "carol.ikekit.test",
                   {"ee-p384.crt", "int-p384.crt"}, "ee-p384.key", "ca-p256.crt");
  cp.r.cas = store("ca-p384.crt");
  Pair p = cp.make();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.right->all<IkeSaUp>()[0].remote_id.to_string() == "carol.ikekit.test");
}

// RFC 7296 3.7: the responder's CERTREQ names the CAs it trusts (SHA-1 of their
// SubjectPublicKeyInfo); an initiator whose chain holds that CA's certificate leaves it
// (and anything above it) out. Measured as the bytes of the IKE_AUTH request.
TEST_CASE("certificates: CERTREQ is honoured: a CA the peer asked for is not sent",
          "[engine][cert]") {
  auto auth_request_bytes = [](bool responder_sends_certreq) {
    CertPair cp;
    cp.l = cert_peer("home", "10.0.0.1", "10.0.0.2", "carol.ikekit.test",
                     {"ee-p384.crt", "int-p384.crt", "ca-p384.crt"}, "ee-p384.key", "ca-p256.crt");
    cp.r.cas = store("ca-p384.crt");
    cp.r.send_certreq = responder_sends_certreq;
    Pair p = cp.make();
    size_t bytes = 0;
    p.net.tap = [&](Bytes& d, const Transmit& t) {
      // IKE header: exchange type at octet 18, flags at 19 (0x20 = Response).
      if (t.remote.address == ip("10.0.0.2") && d.size() > 19 && d[18] == 35 && !(d[19] & 0x20))
        bytes += d.size();
      return true;
    };
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }));
    CHECK(p.right->all<IkeSaUp>()[0].remote_id.to_string() == "carol.ikekit.test");
    return bytes;
  };
  size_t all = auth_request_bytes(false), honoured = auth_request_bytes(true);
  auto root = crypto::Certificate::load_file(pki("ca-p384.crt"));
  REQUIRE(root);
  INFO("IKE_AUTH request: " << all << " bytes with the whole chain, " << honoured
                            << " honouring CERTREQ");
  // The root's DER plus its 5-byte CERT header is what goes; the CERTREQ itself (4 + 20
  // bytes + its 5-byte header) comes in the other direction only.
  CHECK(all - honoured >= root->at(0).der().size());
}

TEST_CASE("certificates: Ed25519 (RFC 8420)", "[engine][cert]") {
  CertPair cp;
  cp.l = cert_peer("home", "10.0.0.1", "10.0.0.2", "dave.ikekit.test", {"ee-ed25519.crt"},
                   "ee-ed25519.key", "ca-p256.crt");
  cp.r.cas = store("ca-ed25519.crt");
  Pair p = cp.make();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.right->all<IkeSaUp>()[0].remote_auth == "ed25519");
}

TEST_CASE("certificates: unknown CA -> Failure(cert) and AUTHENTICATION_FAILED", "[engine][cert]") {
  CertPair cp;
  cp.r.cas = store("ca-p384.crt");
  Pair p = cp.make();
  p.initiate();
  p.net.run_for(30s);
  auto rf = p.right->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].step == FailureStep::cert);
  CHECK(rf[0].offered == std::vector<std::string>{"C=CH, O=ikekit test, CN=moon.ikekit.test"});
  auto lf = p.left->all<Failure>();
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].notify == wire::NotifyType::authentication_failed);
}

TEST_CASE("certificates: expired at the engine's wall time", "[engine][cert]") {
  CertPair cp;
  cp.after = std::chrono::hours(24 * 365 * 11);
  Pair p = cp.make();
  p.initiate();
  p.net.run_for(30s);
  auto rf = p.right->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].step == FailureStep::cert);
  CHECK(rf[0].reason.find("expired") != std::string::npos);
}

TEST_CASE("certificates: the identity is not in the certificate", "[engine][cert][id]") {
  CertPair cp;
  cp.l.local_id = *Identity::parse("mars.ikekit.test");
  Pair p = cp.make();
  p.initiate();
  p.net.run_for(30s);
  auto rf = p.right->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].step == FailureStep::id);
}

TEST_CASE("RFC 7383: IKE_AUTH fragmented both ways and reassembled", "[engine][fragments][cert]") {
  CertPair cp;
  cp.l.fragment_size = 500;
  cp.r.fragment_size = 500;
  Pair p = cp.make();
  size_t biggest = 0;
  p.net.tap = [&](Bytes& d, const Transmit&) {
    biggest = std::max(biggest, d.size());
    return true;
  };
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  CHECK(p.left->engine->stats().fragments_sent >= 3);
  CHECK(p.right->engine->stats().fragments_sent >= 2);
  CHECK(p.right->engine->stats().fragments_received == p.left->engine->stats().fragments_sent);
  CHECK(biggest <= 500);
}

TEST_CASE("RFC 7383: fragments under loss, duplication and reordering", "[engine][fragments]") {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    CertPair cp;
    cp.l.fragment_size = cp.r.fragment_size = 400;
    cp.lc.retransmit_timeout = cp.rc.retransmit_timeout = 1s;
    cp.lc.retransmit_tries = cp.rc.retransmit_tries = 10;
    Pair p = cp.make();
    p.net.rng = SeededRng(seed);
    p.net.loss = 0.2;
    p.net.duplicate = 0.1;
    p.net.reorder = 0.5;
    p.initiate();
    INFO("seed " << seed);
    REQUIRE(p.net.run_until([&] { return p.both_up(); }, 600s));
  }
}

namespace {

// An initiator at 10.0.0.1 with ee-p256 ("sun"), trusting ca-p256 and ca-rsa, against a
// gateway at `gw_address` with certificate `gw` (below ca-p256).
struct Gateway {
  PeerConfig l, r;
  Net net;
  Node *left = nullptr, *right = nullptr;
  Gateway(const std::string& gw_address, const std::string& gw, const std::string& gw_key,
          const std::string& gw_id) {
    l = cert_peer("home", "10.0.0.1", gw_address, "sun.ikekit.test", {"ee-p256.crt"}, "ee-p256.key",
                  "ca-p256.crt");
    auto both = std::make_shared<crypto::CertStore>();
    REQUIRE(both->add_file(pki("ca-p256.crt")));
    REQUIRE(both->add_file(pki("ca-rsa.crt")));
    l.cas = both;
    r = cert_peer("gw", gw_address, "10.0.0.1", gw_id, {gw}, gw_key, "ca-p256.crt");
  }
  void run() {
    Config lc = config_with(l), rc = config_with(r);
    lc.wall_clock_offset = rc.wall_clock_offset = offset_for(net.now, "ee-p256.crt");
    right = &net.add("right", r.local.address.to_string(), rc, 2);
    left = &net.add("left", "10.0.0.1", lc, 3);
    REQUIRE(left->engine->initiate("home", net.now));
    net.run_for(30s);
  }
};

} // namespace

TEST_CASE("certificates: a client-only certificate of the CA does not pass as the gateway's",
          "[engine][cert][eku]") {
  Gateway g("10.0.0.2", "ee-client-p256.crt", "ee-client-p256.key", "client.ikekit.test");
  g.run();
  CHECK(g.left->count<IkeSaUp>() == 0);
  auto f = g.left->all<Failure>();
  REQUIRE(f.size() == 1);
  CHECK(f[0].step == FailureStep::cert);
  CHECK(f[0].notify == wire::NotifyType::authentication_failed);
  CHECK(f[0].offered == std::vector<std::string>{"1.3.6.1.5.5.7.3.2"});
  CHECK(g.right->all<Failure>().at(0).from_peer);
}

TEST_CASE("certificates: the gateway EKU check can be relaxed; IKE intermediate suffices",
          "[engine][cert][eku]") {
  Gateway relaxed("10.0.0.2", "ee-client-p256.crt", "ee-client-p256.key", "client.ikekit.test");
  relaxed.l.require_server_eku = false;
  relaxed.run();
  CHECK(relaxed.left->count<IkeSaUp>() == 1);

  Gateway ikeint("10.0.0.2", "ee-ikeint-p256.crt", "ee-ikeint-p256.key", "ikeint.ikekit.test");
  ikeint.run();
  CHECK(ikeint.left->count<IkeSaUp>() == 1);

  // The check is the initiator's: a responder accepts a client certificate from a client.
  Gateway client("10.0.0.2", "ee-p256.crt", "ee-p256.key", "sun.ikekit.test");
  client.l = cert_peer("home", "10.0.0.1", "10.0.0.2", "client.ikekit.test", {"ee-client-p256.crt"},
                       "ee-client-p256.key", "ca-p256.crt");
  client.r.cas = client.l.cas;
  client.run();
  CHECK(client.right->count<IkeSaUp>() == 1);
}

TEST_CASE("certificates: with no remote ID the gateway's certificate must name its address",
          "[engine][cert][id]") {
  // ee-ikeint-p256 carries IP:192.0.2.6 (and DNS:ikeint.ikekit.test, the ID it sends).
  Gateway right_address("192.0.2.6", "ee-ikeint-p256.crt", "ee-ikeint-p256.key",
                        "ikeint.ikekit.test");
  right_address.l.remote_cert_identity = *Identity::parse("192.0.2.6");
  right_address.run();
  CHECK(right_address.left->count<IkeSaUp>() == 1);

  Gateway other_address("10.0.0.2", "ee-ikeint-p256.crt", "ee-ikeint-p256.key",
                        "ikeint.ikekit.test");
  other_address.l.remote_cert_identity = *Identity::parse("10.0.0.2");
  other_address.run();
  CHECK(other_address.left->count<IkeSaUp>() == 0);
  auto f = other_address.left->all<Failure>();
  REQUIRE(f.size() == 1);
  CHECK(f[0].step == FailureStep::id);
  CHECK(f[0].configured == std::vector<std::string>{"10.0.0.2"});
}

namespace {
// Renames the responder's SIGNATURE_HASH_ALGORITHMS in its IKE_SA_INIT answer to an
// unknown status type: the initiator then believes the responder has no RFC 7427 and
// signs with the classic method, RSA with SHA-1 (method 1) for an RSA key.
bool hide_sig_hashes(Bytes& d, const Transmit& t) {
  auto m = wire::parse_message(d);
  if (!m || m->header.exchange_type != wire::ExchangeType::ike_sa_init || !m->header.response() ||
      !(t.remote.address == ip("10.0.0.1")))
    return true;
  for (const auto& p : m->payloads)
    if (p.type == uint8_t(wire::PayloadType::n))
      if (auto n = wire::parse_notify(p.body);
          n && n->type == wire::NotifyType::signature_hash_algorithms) {
        size_t at = size_t(p.body.data() - d.data()) + 2; // Protocol ID, SPI Size, type
        store_be16(d.data() + at, 0x4fff);
      }
  return true;
}
} // namespace

TEST_CASE("certificates: SHA-1 signatures (AUTH method 1) are refused unless allowed",
          "[engine][cert][sha1]") {
  for (bool allowed : {false, true}) {
    INFO("allow_sha1_signatures " << allowed);
    CertPair cp; // left signs with its RSA key
    cp.rc.allow_sha1_signatures = allowed;
    Pair p = cp.make();
    p.net.tap = hide_sig_hashes;
    p.initiate();
    p.net.run_for(30s);
    if (allowed) {
      CHECK(p.right->count<IkeSaUp>() == 1);
      CHECK(p.right->all<IkeSaUp>()[0].remote_auth == "rsa-sig");
      continue;
    }
    CHECK(p.right->count<IkeSaUp>() == 0);
    auto f = p.right->all<Failure>();
    REQUIRE(f.size() == 1);
    CHECK(f[0].step == FailureStep::auth);
    CHECK(f[0].reason.find("SHA-1") != std::string::npos);
    CHECK(f[0].notify == wire::NotifyType::authentication_failed);
  }
}
