// Known answers for MS-CHAPv2 (RFC 2759 9.2) and its MPPE keys (RFC 3079 3.5.3), and the
// EAP-MSCHAPv2 MSK built from them the way strongSwan's eap_mschapv2 builds it.
#include "eap/mschapv2_crypto.hpp"
#include "test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::eap;
using ikekit::test::hex;

namespace {

// RFC 2759 9.2 (and RFC 3079 3.5.3, which reuses them).
const std::string kUser = "User";
const std::string kPassword = "clientPass";
const Bytes kAuthChallenge = hex("5B5D7C7D7B3F2F3E3C2C602132262628");
const Bytes kPeerChallenge = hex("21402324255E262A28295F2B3A337C7E");

Bytes unicode_password() {
  auto u = password_to_unicode(as_bytes(kPassword));
  REQUIRE(u);
  return Bytes(u->reveal().begin(), u->reveal().end());
}

} // namespace

TEST_CASE("RFC 2759 9.2: the password in Unicode") {
  CHECK(unicode_password() == hex("63006C00690065006E0074005000610073007300"));
}

TEST_CASE("RFC 2759 9.2: ChallengeHash, NtPasswordHash, HashNtPasswordHash, NT-Response") {
  auto ch = challenge_hash(kPeerChallenge, kAuthChallenge, kUser);
  REQUIRE(ch);
  CHECK(Bytes(ch->begin(), ch->end()) == hex("D02E4386BCE91226"));
  auto hash = nt_password_hash(unicode_password());
  REQUIRE(hash);
  CHECK(Bytes(hash->reveal().begin(), hash->reveal().end()) ==
        hex("44EBBA8D5312B8D611474411F56989AE"));
  auto hash_hash = hash_nt_password_hash(hash->reveal());
  REQUIRE(hash_hash);
  CHECK(Bytes(hash_hash->reveal().begin(), hash_hash->reveal().end()) ==
        hex("41C00C584BD2D91C4017A2A12FA59F3F"));
  auto nt = generate_nt_response(kAuthChallenge, kPeerChallenge, kUser, unicode_password());
  REQUIRE(nt);
  CHECK(Bytes(nt->begin(), nt->end()) == hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"));
}

TEST_CASE("RFC 2759 9.2: GenerateAuthenticatorResponse and its check") {
  const Bytes nt = hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  const Bytes hash_hash = hex("41C00C584BD2D91C4017A2A12FA59F3F");
  auto auth = generate_authenticator_response(hash_hash, nt, kPeerChallenge, kAuthChallenge, kUser);
  REQUIRE(auth);
  CHECK(*auth == "S=407A5589115FD0D6209F510FE9C04566932CDA56");
  CHECK(check_authenticator_response(*auth, "S=407a5589115fd0d6209f510fe9c04566932cda56"));
  CHECK_FALSE(check_authenticator_response(*auth, "S=407A5589115FD0D6209F510FE9C04566932CDA57"));
  CHECK_FALSE(check_authenticator_response(*auth, "S=407A5589115FD0D6209F510FE9C04566932CDA5"));
  CHECK_FALSE(check_authenticator_response(*auth, ""));
}

TEST_CASE("RFC 2759 8.2: the domain is not hashed into the challenge") {
  CHECK(user_name_for_hash("EXAMPLE\\User") == "User");
  CHECK(user_name_for_hash("User") == "User");
  auto a = challenge_hash(kPeerChallenge, kAuthChallenge, user_name_for_hash("DOM\\User"));
  REQUIRE(a);
  CHECK(Bytes(a->begin(), a->end()) == hex("D02E4386BCE91226"));
}

TEST_CASE("RFC 3079 3.5.3: MasterKey and the 128-bit send start key") {
  const Bytes nt = hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  const Bytes hash_hash = hex("41C00C584BD2D91C4017A2A12FA59F3F");
  auto master = get_master_key(hash_hash, nt);
  REQUIRE(master);
  CHECK(Bytes(master->reveal().begin(), master->reveal().end()) ==
        hex("FDECE3717A8C838CB388E527AE3CDD31"));
  // The RFC computes the server's send key (IsSend = IsServer = TRUE: Magic3).
  auto send = get_asymmetric_start_key(master->reveal(), true, true);
  REQUIRE(send);
  CHECK(Bytes(send->reveal().begin(), send->reveal().end()) ==
        hex("8B7CDC149B993A1BA118CB153F56DCCB"));
  // The client receives with the server's send key, and sends with its receive key.
  auto client_receive = get_asymmetric_start_key(master->reveal(), false, false);
  auto client_send = get_asymmetric_start_key(master->reveal(), true, false);
  auto server_receive = get_asymmetric_start_key(master->reveal(), false, true);
  REQUIRE(client_receive);
  REQUIRE(client_send);
  REQUIRE(server_receive);
  CHECK(equal_bytes(client_receive->reveal(), send->reveal()));
  CHECK(equal_bytes(client_send->reveal(), server_receive->reveal()));
  CHECK_FALSE(equal_bytes(client_send->reveal(), send->reveal()));
}

TEST_CASE("EAP-MSCHAPv2 MSK: MasterReceiveKey | MasterSendKey | 32 zero bytes") {
  const Bytes nt = hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  const Bytes hash_hash = hex("41C00C584BD2D91C4017A2A12FA59F3F");
  auto msk = mschapv2_msk(hash_hash, nt);
  REQUIRE(msk);
  // The receive half (Magic2) was computed independently with Python's hashlib.sha1
  // over the RFC 3079 3.4 formula; the send half is the RFC's SendStartKey128.
  CHECK(Bytes(msk->reveal().begin(), msk->reveal().end()) ==
        hex("D5F0E9521E3EA9589645E86051C82226"
            "8B7CDC149B993A1BA118CB153F56DCCB"
            "0000000000000000000000000000000000000000000000000000000000000000"));
}

TEST_CASE("the password is UTF-16LE of its UTF-8, surrogates for astral planes") {
  auto u = password_to_unicode(as_bytes("\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91"));
  REQUIRE(u);
  CHECK(Bytes(u->reveal().begin(), u->reveal().end()) == hex("E900AC203DD811DD"));
  for (std::string_view bad : {"\xc3", "\xe2\x82", "\xff", "\xed\xa0\x80", "\xc3\x28"}) {
    INFO(bad.size());
    auto r = password_to_unicode(as_bytes(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "password");
  }
}
