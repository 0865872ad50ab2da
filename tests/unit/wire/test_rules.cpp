// Payload rule tables, RFC 7296 1.2-1.5:
//
//   IKE_SA_INIT      HDR, SAi1, KEi, Ni            -->  <-- HDR, SAr1, KEr, Nr, [CERTREQ]
//   IKE_AUTH         HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr}  -->
//                <-- HDR, SK {IDr, [CERT,] AUTH, SAr2, TSi, TSr}
//   CREATE_CHILD_SA  HDR, SK {SA, Ni, [KEi], TSi, TSr}  -->  <-- HDR, SK {SA, Nr, [KEr], TSi, TSr}
//   INFORMATIONAL    HDR, SK {[N,] [D,] [CP,] ...}      -->  <-- HDR, SK {[N,] [D,] [CP], ...}
#include "wire/rules.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace ikekit;
using namespace ikekit::wire;
using T = PayloadType;
using Types = std::vector<PayloadType>;

namespace {
Result<void> check(ExchangeType x, bool response, Types outer, Types inner = {}) {
  return check_payload_rules(x, response, outer, inner);
}
const Types kSk = {T::sk};
} // namespace

TEST_CASE("IKE_SA_INIT payload rules", "[wire][rules]") {
  auto x = ExchangeType::ike_sa_init;
  CHECK(check(x, false, {T::sa, T::ke, T::nonce}));
  CHECK(check(x, false, {T::n, T::sa, T::ke, T::nonce, T::n, T::n, T::v})); // N(COOKIE) first
  CHECK(check(x, true, {T::sa, T::ke, T::nonce, T::certreq, T::n, T::v}));
  CHECK(check(x, true, {T::n})); // INVALID_KE_PAYLOAD / COOKIE / NO_PROPOSAL_CHOSEN
  CHECK(check(x, false, {T::sa, T::ke, T::nonce, PayloadType(99)})); // unknown: ignored

  auto missing_sa = check(x, false, {T::ke, T::nonce, T::n});
  REQUIRE_FALSE(missing_sa);
  CHECK(missing_sa.error().field == "sa");
  CHECK(missing_sa.error().message == "IKE_SA_INIT request needs 1 SA payload, has 0");

  auto two_ke = check(x, false, {T::sa, T::ke, T::ke, T::nonce});
  REQUIRE_FALSE(two_ke);
  CHECK(two_ke.error().field == "ke");

  auto certreq_in_request = check(x, false, {T::sa, T::ke, T::nonce, T::certreq});
  REQUIRE_FALSE(certreq_in_request);
  CHECK(certreq_in_request.error().field == "certreq");

  auto sk = check(x, false, {T::sa, T::ke, T::nonce, T::sk});
  REQUIRE_FALSE(sk);
  CHECK(sk.error().field == "sk");

  auto partial = check(x, true, {T::sa, T::nonce}); // neither full answer nor notify only
  REQUIRE_FALSE(partial);
  CHECK(partial.error().field == "ke");
}

TEST_CASE("IKE_AUTH payload rules", "[wire][rules]") {
  auto x = ExchangeType::ike_auth;
  CHECK(check(x, false, kSk,
              {T::idi, T::cert, T::certreq, T::idr, T::auth, T::sa, T::tsi, T::tsr, T::n}));
  CHECK(check(x, false, kSk, {T::idi, T::auth, T::cp, T::sa, T::tsi, T::tsr}));
  CHECK(check(x, false, {T::skf}, {T::idi, T::auth, T::sa, T::tsi, T::tsr})); // RFC 7383
  CHECK(check(x, false, kSk, {T::idi, T::sa, T::tsi, T::tsr}));               // EAP: no AUTH
  CHECK(check(x, false, kSk, {T::eap}));                                      // EAP round trip
  CHECK(check(x, false, kSk, {T::auth}));                                     // after EAP
  CHECK(check(x, true, kSk, {T::idr, T::cert, T::auth, T::sa, T::tsi, T::tsr, T::n}));
  CHECK(check(x, true, kSk, {T::idr, T::auth, T::eap}));
  CHECK(check(x, true, kSk, {T::eap}));
  CHECK(check(x, true, kSk, {T::auth, T::sa, T::tsi, T::tsr}));
  CHECK(check(x, true, kSk, {T::n})); // AUTHENTICATION_FAILED

  auto clear = check(x, false, {T::idi, T::sk}, {T::auth});
  REQUIRE_FALSE(clear);
  CHECK(clear.error().field == "idi");
  CHECK(clear.error().message == "IDi must be inside SK in IKE_AUTH request");

  auto no_sk = check(x, false, {}, {});
  REQUIRE_FALSE(no_sk);
  CHECK(no_sk.error().field == "sk");

  auto no_id = check(x, false, kSk, {T::auth, T::sa, T::tsi, T::tsr});
  REQUIRE_FALSE(no_id);
  CHECK(no_id.error().field == "idi");

  auto ke = check(x, true, kSk, {T::idr, T::auth, T::ke});
  REQUIRE_FALSE(ke);
  CHECK(ke.error().field == "ke");
}

TEST_CASE("CREATE_CHILD_SA payload rules", "[wire][rules]") {
  auto x = ExchangeType::create_child_sa;
  CHECK(check(x, false, kSk, {T::n, T::sa, T::nonce, T::ke, T::tsi, T::tsr})); // rekey Child
  CHECK(check(x, false, kSk, {T::sa, T::nonce, T::ke}));                       // rekey IKE SA
  CHECK(check(x, true, kSk, {T::sa, T::nonce, T::tsi, T::tsr}));
  CHECK(check(x, true, kSk, {T::n})); // NO_PROPOSAL_CHOSEN, TEMPORARY_FAILURE
  auto no_nonce = check(x, false, kSk, {T::sa, T::tsi, T::tsr});
  REQUIRE_FALSE(no_nonce);
  CHECK(no_nonce.error().field == "nonce");
  auto auth = check(x, false, kSk, {T::sa, T::nonce, T::auth});
  REQUIRE_FALSE(auth);
  CHECK(auth.error().field == "auth");
}

TEST_CASE("INFORMATIONAL and other exchanges", "[wire][rules]") {
  auto x = ExchangeType::informational;
  CHECK(check(x, false, kSk, {})); // liveness check
  CHECK(check(x, false, kSk, {T::d, T::d, T::n}));
  CHECK(check(x, true, kSk, {}));
  CHECK(check(x, false, kSk, {T::n, T::n})); // MOBIKE UPDATE_SA_ADDRESSES + NAT_D
  auto sa = check(x, false, kSk, {T::sa});
  REQUIRE_FALSE(sa);
  CHECK(sa.error().field == "sa");
  auto d_clear = check(x, false, {T::d, T::sk});
  REQUIRE_FALSE(d_clear);
  CHECK(d_clear.error().field == "d");

  CHECK(check(ExchangeType::ike_intermediate, false, kSk, {T::ke}));
  CHECK(check(ExchangeType::ike_followup_ke, false, kSk, {T::ke, T::n}));
  CHECK(check(ExchangeType::ike_session_resume, false, {T::nonce, T::n}));
  auto gsa = check(ExchangeType::gsa_auth, false, kSk);
  REQUIRE_FALSE(gsa);
  CHECK(gsa.error().code == Errc::unsupported);
}

TEST_CASE("every table role exists and notify/vendor are always allowed", "[wire][rules]") {
  for (auto x : {ExchangeType::ike_sa_init, ExchangeType::ike_auth, ExchangeType::create_child_sa,
                 ExchangeType::informational, ExchangeType::ike_session_resume,
                 ExchangeType::ike_intermediate, ExchangeType::ike_followup_ke})
    for (bool response : {false, true}) {
      const ExchangeRules* r = find_exchange_rules(x, response);
      REQUIRE(r);
      for (const auto& shape : r->shapes) {
        bool n = false, v = false;
        for (const auto& rule : shape.rules) {
          n = n || rule.type == T::n;
          v = v || rule.type == T::v;
          CHECK(rule.encrypted == r->encrypted);
        }
        CHECK(n);
        CHECK(v);
      }
    }
}

TEST_CASE("payload counts do not wrap: 65537 SA payloads are not one", "[wire][rules]") {
  // A reassembled message can hold more payloads than a uint16_t counts.
  Types many(65537, T::sa);
  many.push_back(T::ke);
  many.push_back(T::nonce);
  auto r = check(ExchangeType::ike_sa_init, false, many);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "sa");
  CHECK(r.error().message == "IKE_SA_INIT request allows at most 1 SA payload, has 65537");
}
