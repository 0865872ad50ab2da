// RFC 7296 2.7 / 3.3: proposal encoding and selection.
#include "ike/config.hpp"
#include "ike/proposal.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using crypto::TransformKind;

namespace {
std::vector<crypto::ParsedProposal> ike_props(std::string_view s) {
  return *parse_ike_proposals(s);
}
std::vector<crypto::ParsedProposal> esp_props(std::string_view s) {
  return *parse_esp_proposals(s);
}
const crypto::TransformInfo* ke(std::string_view k) {
  return crypto::find_keyword(TransformKind::ke, k);
}
} // namespace

TEST_CASE("IKE: the responder picks its first proposal the initiator also offers",
          "[ike][proposal]") {
  auto offer = encode_proposals(ike_props("aes128-sha256-modp2048,aes256gcm16-prfsha256-ecp256"),
                                wire::ProtocolId::ike, {}, nullptr, true);
  REQUIRE(offer.proposals.size() == 2);
  CHECK(offer.proposals[1].number == 2);
  auto c = select_proposal(ike_props("aes256gcm16-prfsha256-ecp256,aes128-sha256-modp2048"), offer,
                           wire::ProtocolId::ike, nullptr);
  REQUIRE(c);
  CHECK(c->number == 2);
  CHECK(c->to_string() == "aes256gcm16-prfsha256-ecp256");
  CHECK(c->integ == nullptr);
}

TEST_CASE("IKE: the KE hint wins when both allow several groups", "[ike][proposal]") {
  auto offer = encode_proposals(ike_props("aes128-sha256-x25519-ecp256"), wire::ProtocolId::ike, {},
                                nullptr, true);
  auto ours = ike_props("aes128-sha256-ecp256-x25519");
  CHECK(select_proposal(ours, offer, wire::ProtocolId::ike, nullptr)->ke == ke("ecp256"));
  CHECK(select_proposal(ours, offer, wire::ProtocolId::ike, ke("x25519"))->ke == ke("x25519"));
}

TEST_CASE("IKE: first_ke is listed first among the groups", "[ike][proposal]") {
  auto offer = encode_proposals(ike_props("aes128-sha256-x25519-ecp256"), wire::ProtocolId::ike, {},
                                ke("ecp256"), true);
  std::vector<uint16_t> groups;
  for (auto& t : offer.proposals[0].transforms)
    if (t.type == wire::TransformType::ke) groups.push_back(t.id);
  CHECK(groups == std::vector<uint16_t>{19, 31});
}

TEST_CASE("no common transform: no proposal", "[ike][proposal]") {
  auto offer = encode_proposals(ike_props("aes128-sha256-modp2048"), wire::ProtocolId::ike, {},
                                nullptr, true);
  CHECK_FALSE(
      select_proposal(ike_props("aes128-sha256-ecp256"), offer, wire::ProtocolId::ike, nullptr));
  CHECK_FALSE(
      select_proposal(ike_props("aes256-sha256-modp2048"), offer, wire::ProtocolId::ike, nullptr));
  CHECK(proposal_strings(offer) == std::vector<std::string>{"aes128-sha256-prfsha256-modp2048"});
}

TEST_CASE("ESP: ESN, SPI and the answer checked by the initiator", "[ike][proposal][esp]") {
  uint8_t spi[4] = {0xc1, 0x00, 0x00, 0x01};
  auto ours = esp_props("aes128-sha256-esn");
  auto offer = encode_proposals(ours, wire::ProtocolId::esp, ByteView(spi, 4), nullptr, false);
  auto c = select_proposal(esp_props("aes128-sha256-noesn-esn"), offer, wire::ProtocolId::esp,
                           nullptr, true);
  REQUIRE(c);
  CHECK(c->esn);
  CHECK(c->spi == Bytes{0xc1, 0, 0, 1});
  uint8_t rspi[4] = {0xc2, 0, 0, 2};
  auto answer = encode_chosen(*c, wire::ProtocolId::esp, ByteView(rspi, 4));
  auto back = check_chosen(ours, answer, wire::ProtocolId::esp, true);
  REQUIRE(back);
  CHECK(back->spi == Bytes{0xc2, 0, 0, 2});
  CHECK(back->to_string() == "aes128-sha256-esn");
  // An offer without ESN is not acceptable to a responder requiring ESN.
  auto noesn = encode_proposals(esp_props("aes128-sha256"), wire::ProtocolId::esp, ByteView(spi, 4),
                                nullptr, false);
  CHECK_FALSE(
      select_proposal(esp_props("aes128-sha256-esn"), noesn, wire::ProtocolId::esp, nullptr, true));
}

TEST_CASE("check_chosen refuses an answer that is not one of our proposals", "[ike][proposal]") {
  auto ours = ike_props("aes128-sha256-ecp256");
  auto other =
      encode_proposals(ike_props("aes256-sha384-ecp384"), wire::ProtocolId::ike, {}, nullptr, true);
  CHECK_FALSE(check_chosen(ours, other, wire::ProtocolId::ike));
  // Two transforms of one type in an answer are refused too.
  auto two = encode_proposals(ike_props("aes128-sha256-ecp256-x25519"), wire::ProtocolId::ike, {},
                              nullptr, true);
  CHECK_FALSE(check_chosen(ike_props("aes128-sha256-ecp256-x25519"), two, wire::ProtocolId::ike));
}

TEST_CASE("ESP with PFS: KE must be common; ignored for the first Child SA",
          "[ike][proposal][esp]") {
  uint8_t spi[4] = {1, 2, 3, 4};
  auto offer = encode_proposals(esp_props("aes128gcm16-modp2048"), wire::ProtocolId::esp,
                                ByteView(spi, 4), nullptr, true);
  CHECK_FALSE(
      select_proposal(esp_props("aes128gcm16-ecp256"), offer, wire::ProtocolId::esp, nullptr));
  auto c =
      select_proposal(esp_props("aes128gcm16-ecp256"), offer, wire::ProtocolId::esp, nullptr, true);
  REQUIRE(c);
  CHECK(c->ke == nullptr);
}

TEST_CASE("an ike-scan style offer of legacy transforms is named transform by transform",
          "[ike][proposal]") {
  // ike-scan's IKEv2 default proposal: ENCR 3DES, PRF HMAC-MD5, INTEG HMAC-MD5-96, MODP 1536.
  wire::SaPayload offer;
  wire::Proposal p;
  for (auto [type, id] : {std::pair{wire::TransformType::encr, 3},
                          {wire::TransformType::prf, 1},
                          {wire::TransformType::integ, 1},
                          {wire::TransformType::ke, 5}}) {
    wire::Transform t;
    t.type = type;
    t.id = uint16_t(id);
    p.transforms.push_back(t);
  }
  offer.proposals.push_back(p);
  CHECK(proposal_strings(offer) == std::vector<std::string>{"3des-prfmd5-md5-modp1536"});
  CHECK_FALSE(
      select_proposal(ike_props("aes128-sha256-modp2048"), offer, wire::ProtocolId::ike, nullptr));
}
