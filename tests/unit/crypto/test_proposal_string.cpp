// strongSwan-style proposal strings (see proposal_string.hpp for the semantics).
#include "crypto/proposal_string.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::crypto;

namespace {
std::vector<std::string_view> kws(const std::vector<const TransformInfo*>& v) {
  std::vector<std::string_view> out;
  for (const auto* t : v)
    out.push_back(t->keyword);
  return out;
}
using Kw = std::vector<std::string_view>;
} // namespace

TEST_CASE("proposal: IKE AEAD with explicit prf", "[crypto][proposal]") {
  auto p = parse_proposal("aes256gcm16-prfsha256-x25519", ProposalKind::ike);
  REQUIRE(p);
  CHECK(kws(p->encr) == Kw{"aes256gcm16"});
  CHECK(p->integ.empty());
  CHECK(kws(p->prf) == Kw{"prfsha256"});
  CHECK(kws(p->ke) == Kw{"x25519"});
}

TEST_CASE("proposal: IKE prf derived from integ", "[crypto][proposal]") {
  auto p = parse_proposal("aes128-sha256-modp2048", ProposalKind::ike);
  REQUIRE(p);
  CHECK(kws(p->integ) == Kw{"sha256"});
  CHECK(kws(p->prf) == Kw{"prfsha256"});
  auto m = parse_proposal("aes128-aes256-sha256-sha1-modp2048-ecp256", ProposalKind::ike);
  REQUIRE(m);
  CHECK(kws(m->encr) == Kw{"aes128", "aes256"});
  CHECK(kws(m->integ) == Kw{"sha256", "sha1"});
  CHECK(kws(m->prf) == Kw{"prfsha256", "prfsha1"});
  CHECK(kws(m->ke) == Kw{"modp2048", "ecp256"});
  // AEAD + integ in IKE: integ only derives the prf.
  auto g = parse_proposal("aes128gcm16-sha384-ecp384", ProposalKind::ike);
  REQUIRE(g);
  CHECK(g->integ.empty());
  CHECK(kws(g->prf) == Kw{"prfsha384"});
}

TEST_CASE("proposal: ESP", "[crypto][proposal]") {
  auto a = parse_proposal("aes256gcm16", ProposalKind::esp);
  REQUIRE(a);
  CHECK(kws(a->esn) == Kw{"noesn"});
  CHECK(a->integ.empty());
  auto b = parse_proposal("aes128-sha256-esn", ProposalKind::esp);
  REQUIRE(b);
  CHECK(kws(b->esn) == Kw{"esn"});
  auto pfs = parse_proposal("chacha20poly1305-x25519", ProposalKind::esp);
  REQUIRE(pfs);
  CHECK(kws(pfs->ke) == Kw{"x25519"});
  // strongSwan aliases
  auto al = parse_proposal("aes256gcm-curve25519", ProposalKind::esp);
  REQUIRE(al);
  CHECK(kws(al->encr) == Kw{"aes256gcm16"});
}

TEST_CASE("proposal: several proposals", "[crypto][proposal]") {
  auto ps =
      parse_proposals("aes256gcm16-prfsha256-x25519,aes128-sha256-modp1024", ProposalKind::ike);
  REQUIRE(ps);
  REQUIRE(ps->size() == 2);
  CHECK(kws((*ps)[1].ke) == Kw{"modp1024"}); // opt-in: fine when written
  auto bad = parse_proposals("aes128-sha256-modp2048,aes999-sha1-x25519", ProposalKind::ike);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "ike_proposal[1]");
}

TEST_CASE("proposal: errors name the field, echo the token, say what is allowed",
          "[crypto][proposal]") {
  auto e = parse_proposal("aes999-sha256-modp2048", ProposalKind::ike);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == Errc::usage);
  CHECK(e.error().field == "ike_proposal");
  CHECK(e.error().message.rfind("\"aes999\": unknown algorithm; expected one of aes128, ", 0) == 0);
  CHECK(e.error().message.find("prfsha256") != std::string::npos);

  auto esp = parse_proposal("aes999", ProposalKind::esp);
  REQUIRE_FALSE(esp);
  CHECK(esp.error().field == "esp_proposal");
  CHECK(esp.error().message.find("prfsha256") == std::string::npos); // not allowed in ESP

  CHECK(parse_proposal("aes256gcm16-sha256", ProposalKind::esp).error().message.find("AEAD") !=
        std::string::npos);
  CHECK(parse_proposal("aes128", ProposalKind::esp).error().message.find("integrity") !=
        std::string::npos);
  CHECK(parse_proposal("aes128-prfsha256", ProposalKind::esp).error().message.find("not allowed") !=
        std::string::npos);
  CHECK(parse_proposal("aes128-sha256-esn-modp2048", ProposalKind::ike)
            .error()
            .message.find("not allowed") != std::string::npos);
  CHECK(parse_proposal("aes256gcm16-x25519", ProposalKind::ike).error().message.find("prf") !=
        std::string::npos);
  CHECK(parse_proposal("aes128-sha256", ProposalKind::ike).error().message.find("key exchange") !=
        std::string::npos);
  CHECK(parse_proposal("aes128--sha256", ProposalKind::ike).error().message.find("empty") !=
        std::string::npos);
  CHECK(parse_proposal("aes128-aes128gcm16-sha256-x25519", ProposalKind::ike)
            .error()
            .message.find("cannot share") != std::string::npos);
  CHECK_FALSE(parse_proposal("", ProposalKind::ike));
}
