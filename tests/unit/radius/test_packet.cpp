// The RADIUS codec: RFC 2865 7.1's Access-Accept (Response Authenticator), RFC 3579
// Access-Requests (EAP-Message split at 253 bytes, Message-Authenticator), signed
// responses, RFC 2548 MPPE keys, and every truncation refused.
#include "crypto/legacy_hash.hpp"
#include "radius/mppe.hpp"
#include "radius/packet.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::radius;
using ikekit::test::hex;

namespace {

const Bytes kSecret(as_bytes("testing123").begin(), as_bytes("testing123").end());

// A response with EAP-Message, State and Message-Authenticator, signed for `req_auth`.
Bytes signed_challenge(ByteView req_auth, ByteView secret) {
  Bytes pkt = hex("0b07003a"
                  "00000000000000000000000000000000"
                  "4f06"
                  "03020004" // EAP-Message: EAP-Success
                  "1806"
                  "73746174" // State "stat"
                  "5012"
                  "00000000000000000000000000000000");
  pkt[2] = 0;
  pkt[3] = uint8_t(pkt.size());
  REQUIRE(sign_response(pkt, req_auth, secret, pkt.size() - 16));
  return pkt;
}

} // namespace

TEST_CASE("RFC 2865 7.1: the Access-Accept's Response Authenticator verifies") {
  const Bytes request = hex("010000380f403f9473978057bd83d5cb98f4227a"
                            "01066e656d6f"
                            "02120dbe708d93d413ce3196e43f782a0aee"
                            "0406c0a80110"
                            "050600000003");
  const Bytes accept = hex("0200002686fe220e7624ba2a1005f6bf9b55e0b2"
                           "060600000001"
                           "0f0600000000"
                           "0e06c0a80103");
  auto req = parse_packet(request);
  REQUIRE(req);
  CHECK(req->count(attr::user_name) == 1);
  auto p = parse_packet(accept);
  REQUIRE(p);
  CHECK(p->code == uint8_t(Code::access_accept));
  CHECK(p->count(attr::service_type) == 1);
  REQUIRE(verify_response(*p, req->authenticator, as_bytes("xyzzy5461")));
  CHECK_FALSE(verify_response(*p, req->authenticator, as_bytes("xyzzy5462")));
}

TEST_CASE("Access-Request: EAP-Message split at 253 bytes, State, Message-Authenticator") {
  Bytes eap(600);
  for (size_t i = 0; i < eap.size(); ++i)
    eap[i] = uint8_t(i);
  const Bytes auth = hex("00112233445566778899aabbccddeeff");
  const Bytes state = hex("deadbeef");
  AccessRequest req{"alice", eap, state, "ikekit", IpAddress::parse("192.0.2.1"), "", 1400};
  uint8_t buf[4096];
  auto n = write_access_request(buf, 42, auth, req, kSecret);
  REQUIRE(n);
  auto p = parse_packet(ByteView(buf, *n));
  REQUIRE(p);
  CHECK(p->code == uint8_t(Code::access_request));
  CHECK(p->identifier == 42);
  CHECK(equal_bytes(p->authenticator, auth));
  CHECK(p->count(attr::eap_message) == 3);
  std::vector<size_t> sizes;
  p->for_each([&](const Attribute& a) {
    if (a.type == attr::eap_message) sizes.push_back(a.value.size());
  });
  CHECK(sizes == std::vector<size_t>{253, 253, 94});
  uint8_t joined[4096];
  auto j = eap_message(*p, joined);
  REQUIRE(j);
  CHECK(Bytes(joined, joined + *j) == eap);
  REQUIRE(p->find(attr::state));
  CHECK(Bytes(p->find(attr::state)->value.begin(), p->find(attr::state)->value.end()) == state);
  CHECK(std::string(p->find(attr::user_name)->value.begin(),
                    p->find(attr::user_name)->value.end()) == "alice");
  CHECK(Bytes(p->find(attr::nas_ip_address)->value.begin(),
              p->find(attr::nas_ip_address)->value.end()) == hex("c0000201"));
  // RFC 3579 3.2: HMAC-MD5 over the packet with the attribute zeroed.
  auto ma = p->find(attr::message_authenticator);
  REQUIRE(ma);
  Bytes copy(buf, buf + *n);
  Bytes mac(ma->value.begin(), ma->value.end());
  std::fill(copy.begin() + long(ma->offset + 2), copy.begin() + long(ma->offset + 18), 0);
  uint8_t expect[16];
  REQUIRE(crypto::hmac_md5(kSecret, {ByteView(copy)}, expect));
  CHECK(Bytes(expect, expect + 16) == mac);
}

TEST_CASE("responses: Response Authenticator and Message-Authenticator verified") {
  const Bytes req_auth = hex("0f0e0d0c0b0a09080706050403020100");
  Bytes pkt = signed_challenge(req_auth, kSecret);
  auto p = parse_packet(pkt);
  REQUIRE(p);
  REQUIRE(verify_response(*p, req_auth, kSecret));
  auto wrong_secret = verify_response(*p, req_auth, as_bytes("testing124"));
  REQUIRE_FALSE(wrong_secret);
  CHECK(wrong_secret.error().field == "radius.authenticator");
  auto wrong_request = verify_response(*p, hex("0f0e0d0c0b0a09080706050403020101"), kSecret);
  REQUIRE_FALSE(wrong_request);
  // A changed attribute breaks both; re-signing only the Response Authenticator (as an
  // attacker without the secret cannot, but a broken server might) still fails the MAC.
  for (size_t i = kHeaderSize; i < pkt.size(); ++i) {
    Bytes bad = pkt;
    bad[i] ^= 0x01;
    auto q = parse_packet(bad);
    if (!q) continue;
    CHECK_FALSE(verify_response(*q, req_auth, kSecret));
  }
  // EAP-Message without Message-Authenticator is refused (RFC 3579 3.2).
  Bytes bare = hex("0b07001a"
                   "00000000000000000000000000000000"
                   "4f0601020004");
  REQUIRE(sign_response(bare, req_auth, kSecret, 0));
  auto b = parse_packet(bare);
  REQUIRE(b);
  auto missing = verify_response(*b, req_auth, kSecret);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().field == "radius.message_authenticator");
}

TEST_CASE("RADIUS parser: every truncation and bad attribute length is refused") {
  const Bytes pkt = signed_challenge(hex("0f0e0d0c0b0a09080706050403020100"), kSecret);
  for (size_t cut = 0; cut < pkt.size(); ++cut) {
    INFO(cut);
    auto p = parse_packet(ByteView(pkt).first(cut));
    REQUIRE_FALSE(p);
    CHECK(p.error().field.rfind("radius.", 0) == 0);
  }
  // A consistent Length that cuts an attribute, and attribute lengths 0 and 1.
  Bytes cut_attr = hex("0b010017"
                       "00000000000000000000000000000000"
                       "4f0601");
  auto c = parse_packet(cut_attr);
  REQUIRE_FALSE(c);
  CHECK(c.error().field == "radius.attribute[0].length");
  for (uint8_t len : {0, 1}) {
    Bytes zero = hex("0b010016"
                     "00000000000000000000000000000000"
                     "4f00");
    zero[21] = len;
    auto z = parse_packet(zero);
    REQUIRE_FALSE(z);
    CHECK(z.error().field == "radius.attribute[0].length");
  }
  auto big = parse_packet(hex("0b011001"
                              "00000000000000000000000000000000"));
  REQUIRE_FALSE(big);
  CHECK(big.error().field == "radius.length");
}

TEST_CASE("RFC 2548 2.4.2: MS-MPPE key salt-encryption") {
  const Bytes req_auth = hex("000102030405060708090a0b0c0d0e0f");
  const Bytes key = hex("8b7cdc149b993a1ba118cb153f56dccb");
  // Computed independently with Python's hashlib.md5 over the RFC's formula.
  const Bytes wire = hex("8001222f78911e81bc02d486a8a0a785432f23e948690cf7b68255e9483cdb57bb05");
  auto k = decrypt_mppe_key(wire, kSecret, req_auth);
  REQUIRE(k);
  CHECK(Bytes(k->reveal().begin(), k->reveal().end()) == key);
  uint8_t out[64];
  auto n = encrypt_mppe_key(key, 0x0001, kSecret, req_auth, out);
  REQUIRE(n);
  CHECK(Bytes(out, out + *n) == wire);
  // A wrong secret yields a key length that does not fit (or a different key).
  auto wrong = decrypt_mppe_key(wire, as_bytes("testing124"), req_auth);
  CHECK((!wrong || !equal_bytes(wrong->reveal(), key)));
  for (size_t cut = 0; cut < wire.size(); ++cut)
    CHECK_FALSE(decrypt_mppe_key(ByteView(wire).first(cut), kSecret, req_auth));
  // The MSK: Recv | Send, padded to 64.
  SecretBytes recv(hex("d5f0e9521e3ea9589645e86051c82226"));
  SecretBytes send(key);
  SecretBytes msk = msk_from_mppe(recv, send);
  REQUIRE(msk.size() == 64);
  CHECK(Bytes(msk.reveal().begin(), msk.reveal().begin() + 32) ==
        hex("d5f0e9521e3ea9589645e86051c822268b7cdc149b993a1ba118cb153f56dccb"));
}
