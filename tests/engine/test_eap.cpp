// RFC 7296 2.16: EAP-MSCHAPv2 inside IKE_AUTH. The responder (gw, sun.ikekit.test)
// authenticates with its certificate and checks the client (home) by EAP against local
// users; the client checks the gateway's certificate and the MS-CHAPv2 authenticator
// response. AUTH in the last pair is keyed with the MSK.
//
//   HDR, SK {IDi, [N(INITIAL_CONTACT)], CERTREQ, IDr, SAi2, TSi, TSr}  -->
//                              <--  HDR, SK {IDr, CERT, AUTH, EAP(Request/Identity)}
//   HDR, SK {EAP(Response/Identity)}  -->   <--  HDR, SK {EAP(Request/MSCHAPv2 Challenge)}
//   HDR, SK {EAP(Response/Response)}  -->   <--  HDR, SK {EAP(Request/MSCHAPv2 Success)}
//   HDR, SK {EAP(Response/Success)}   -->   <--  HDR, SK {EAP(Success)}
//   HDR, SK {AUTH}  -->                     <--  HDR, SK {AUTH, SAr2, TSi, TSr}
#include "craft.hpp"
#include "eap_pair.hpp"
#include "flow.hpp"
#include "ike/ts.hpp"
#include "pki.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

// Both sides of `p` up, every datagram captured in `seen`.
void up_captured(Pair& p, std::vector<Captured>& seen) {
  capture(p.net, seen);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
}

// Runs `p` for 60 s: no IKE SA comes up and each side reports one failure (right, left).
std::pair<Failure, Failure> run_to_failure(Pair& p) {
  p.initiate();
  p.net.run_for(60s);
  CHECK(p.left->count<IkeSaUp>() == 0);
  CHECK(p.right->count<IkeSaUp>() == 0);
  auto rf = p.right->all<Failure>(), lf = p.left->all<Failure>();
  REQUIRE(rf.size() == 1);
  REQUIRE(lf.size() == 1);
  return {rf[0], lf[0]};
}

// A server that gets the password right but lies in its authenticator response (a
// gateway that does not know the password; RFC 2759 8.8): one hex digit of "S=" flipped.
class ForgingSession final : public EapServerSession {
public:
  explicit ForgingSession(std::unique_ptr<EapServerSession> s) : s_(std::move(s)) {}
  Result<size_t> start(MutBytes out) override { return s_->start(out); }
  eap::Step receive(ByteView in, MutBytes out) override {
    eap::Step st = s_->receive(in, out);
    for (size_t i = 0; i + 2 < st.written; ++i)
      if (out[i] == 'S' && out[i + 1] == '=') {
        out[i + 2] = out[i + 2] == '0' ? '1' : '0';
        ++forged;
        break;
      }
    return st;
  }
  eap::Status status() const override { return s_->status(); }
  eap::FailureReason failure() const override { return s_->failure(); }
  std::string identity() const override { return s_->identity(); }
  const SecretBytes& msk() const override { return s_->msk(); }
  static inline int forged = 0;

private:
  std::unique_ptr<EapServerSession> s_;
};

class ForgingBackend final : public EapServerBackend {
public:
  explicit ForgingBackend(std::shared_ptr<const EapServerBackend> b) : b_(std::move(b)) {}
  std::string_view method() const override { return b_->method(); }
  std::unique_ptr<EapServerSession> open(Rng& rng) const override {
    return std::make_unique<ForgingSession>(b_->open(rng));
  }

private:
  std::shared_ptr<const EapServerBackend> b_;
};

// `d`, an IKE_AUTH message sealed with `keys`, sealed again with the last bit of its
// AUTH data flipped: an otherwise intact message whose AUTH does not verify.
Bytes with_auth_flipped(const Bytes& d, const IkeSaKeys& keys, Rng& rng) {
  Bytes copy = d;
  auto m = wire::parse_message(copy);
  REQUIRE(m);
  const uint8_t first_inner = m->encrypted()->next_type;
  auto chain = open_sk(copy, *m, keys);
  REQUIRE(chain);
  Bytes content;
  for (const auto& pl : *chain) {
    content.insert(content.end(), pl.whole.begin(), pl.whole.end());
    if (pl.payload_type() == wire::PayloadType::auth) content.back() ^= 1;
  }
  Sealed s;
  s.message_id = m->header.message_id;
  s.from_initiator = m->header.initiator();
  s.response = m->header.response();
  s.first_inner = first_inner;
  return craft_sealed(keys, s, content, rng);
}

// Runs `p` (its initiator with Config::emit_keys) for 60 s with the AUTH of the last
// IKE_AUTH message from `from` flipped (message ID 5, the one keyed with the MSK).
void run_with_final_auth_flipped(Pair& p, const char* from) {
  SeededRng rng(5);
  bool flipped = false;
  p.net.tap = [&](Bytes& d, const Transmit& t) {
    auto m = wire::parse_message(d);
    const IkeSaKeys* keys = ike_keys(*p.left);
    if (!flipped && keys && m && t.local.address == ip(from) &&
        m->header.exchange_type == wire::ExchangeType::ike_auth && m->header.message_id == 5) {
      d = with_auth_flipped(d, *keys, rng);
      flipped = true;
    }
    return true;
  };
  p.initiate();
  p.net.run_for(60s);
  CHECK(flipped);
  p.net.tap = nullptr;
}

} // namespace

TEST_CASE("EAP-MSCHAPv2: the message flow of RFC 7296 2.16, both sides up", "[engine][eap]") {
  EapPair ep;
  ep.lc.emit_keys = true;
  Pair p = ep.make();
  std::vector<Captured> seen;
  up_captured(p, seen);
  auto lu = p.left->all<IkeSaUp>().at(0), ru = p.right->all<IkeSaUp>().at(0);
  CHECK(lu.local_auth == "eap-mschapv2");
  CHECK(lu.remote_auth.find("ecdsa") != std::string::npos);
  CHECK(lu.eap_method == "eap-mschapv2");
  CHECK(lu.eap_identity == "alice");
  CHECK(ru.remote_auth == "eap-mschapv2");
  CHECK(ru.eap_method == "eap-mschapv2");
  CHECK(ru.eap_identity == "alice");
  CHECK(ru.remote_id.to_string() == "alice");
  CHECK(lu.remote_id.to_string() == "sun.ikekit.test");
  auto lc = p.left->all<ChildSaUp>(), rc = p.right->all<ChildSaUp>();
  REQUIRE(lc.size() == 1);
  CHECK(lc[0].spi_in == rc[0].spi_out);
  CHECK(equal_bytes(lc[0].encr_out.reveal(), rc[0].encr_in.reveal()));
  CHECK(p.left->count<Failure>() == 0);
  CHECK(p.right->count<Failure>() == 0);

  const IkeSaKeys* keys = ike_keys(*p.left);
  REQUIRE(keys);
  std::vector<std::string> flow;
  for (const auto& c : seen)
    if (describe(c, keys).find("IKE_AUTH") != std::string::npos) flow.push_back(describe(c, keys));
  const std::vector<std::string> rfc = {
      "10.0.0.1 IKE_AUTH request I=1 mid=1: SK{ IDi N(INITIAL_CONTACT) N(MOBIKE_SUPPORTED) CERTREQ "
      "IDr SA TSi TSr }",
      "10.0.0.2 IKE_AUTH response I=0 mid=1: SK{ IDr CERT AUTH EAP }",
      "10.0.0.1 IKE_AUTH request I=1 mid=2: SK{ EAP }",
      "10.0.0.2 IKE_AUTH response I=0 mid=2: SK{ EAP }",
      "10.0.0.1 IKE_AUTH request I=1 mid=3: SK{ EAP }",
      "10.0.0.2 IKE_AUTH response I=0 mid=3: SK{ EAP }",
      "10.0.0.1 IKE_AUTH request I=1 mid=4: SK{ EAP }",
      "10.0.0.2 IKE_AUTH response I=0 mid=4: SK{ EAP }",
      "10.0.0.1 IKE_AUTH request I=1 mid=5: SK{ AUTH }",
      // RFC 4555 3.3: MOBIKE_SUPPORTED in the final response, as strongSwan sends it.
      "10.0.0.2 IKE_AUTH response I=0 mid=5: SK{ AUTH N(MOBIKE_SUPPORTED) SA TSi TSr }",
  };
  CHECK(flow == rfc);
}

TEST_CASE("EAP: the responder refuses a final AUTH that does not verify with the MSK",
          "[engine][eap]") {
  EapPair ep;
  ep.lc.emit_keys = true;
  Pair p = ep.make();
  run_with_final_auth_flipped(p, "10.0.0.1");
  CHECK(p.right->count<IkeSaUp>() == 0);
  CHECK(p.left->count<IkeSaUp>() == 0);
  auto rf = p.right->all<Failure>(), lf = p.left->all<Failure>();
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].step == FailureStep::auth);
  CHECK(rf[0].reason == "AUTH after eap-mschapv2 did not verify with the EAP MSK");
  CHECK(rf[0].notify == wire::NotifyType::authentication_failed);
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].step == FailureStep::auth);
  CHECK(lf[0].from_peer);
}

TEST_CASE("EAP: the initiator refuses a final AUTH that does not verify with the MSK",
          "[engine][eap]") {
  EapPair ep;
  ep.lc.emit_keys = true;
  Pair p = ep.make();
  run_with_final_auth_flipped(p, "10.0.0.2");
  CHECK(p.left->count<IkeSaUp>() == 0);
  auto lf = p.left->all<Failure>();
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].step == FailureStep::auth);
  CHECK(lf[0].reason == "the responder's AUTH after eap-mschapv2 did not verify with the EAP MSK");
  CHECK_FALSE(lf[0].from_peer);
}

TEST_CASE("EAP-MSCHAPv2: a wrong password fails on both sides at step eap", "[engine][eap]") {
  EapPair ep("alice", "wrong");
  Pair p = ep.make();
  auto [rf, lf] = run_to_failure(p);
  CHECK(rf.step == FailureStep::eap);
  CHECK(rf.reason.find("authentication_failure") != std::string::npos);
  CHECK(rf.notify == wire::NotifyType::authentication_failed);
  CHECK(lf.step == FailureStep::eap);
  CHECK(lf.from_peer);
  CHECK(lf.notify == wire::NotifyType::authentication_failed);
  CHECK(lf.reason.find("wrong password") != std::string::npos);
}

TEST_CASE("EAP-MSCHAPv2: an unknown user is refused like a wrong password", "[engine][eap]") {
  EapPair ep("mallory", "clientPass");
  Pair p = ep.make();
  auto [rf, lf] = run_to_failure(p);
  CHECK(rf.step == FailureStep::eap);
  CHECK(rf.reason.find("unknown_user") != std::string::npos);
  CHECK(rf.offered == std::vector<std::string>{"mallory"});
  // The client learns only E=691, as for a wrong password.
  CHECK(lf.step == FailureStep::eap);
  CHECK(lf.reason.find("authentication_failure") != std::string::npos);
}

TEST_CASE("EAP-MSCHAPv2: the client refuses a forged authenticator response", "[engine][eap]") {
  EapPair ep;
  ep.r.eap_backend = std::make_shared<ForgingBackend>(ep.r.eap_backend);
  Pair p = ep.make();
  ForgingSession::forged = 0;
  p.initiate();
  p.net.run_for(60s);
  REQUIRE(ForgingSession::forged == 1);
  CHECK(p.left->count<IkeSaUp>() == 0);
  CHECK(p.right->count<IkeSaUp>() == 0);
  auto lf = p.left->all<Failure>();
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].step == FailureStep::eap);
  CHECK(lf[0].reason.find("authenticator_mismatch") != std::string::npos);
  CHECK(lf[0].notify == wire::NotifyType::authentication_failed);
  CHECK_FALSE(lf[0].from_peer);
}

TEST_CASE("EAP-MSCHAPv2: a responder without the client's CA is refused before EAP",
          "[engine][eap]") {
  EapPair ep;
  ep.l.cas = store("ca-rsa.crt"); // not the gateway's CA
  Pair p = ep.make();
  p.initiate();
  p.net.run_for(60s);
  auto lf = p.left->all<Failure>();
  REQUIRE(lf.size() == 1);
  CHECK(lf[0].step == FailureStep::cert);
  CHECK(p.right->count<IkeSaUp>() == 0);
}

TEST_CASE("EAP-MSCHAPv2 under 30% loss with duplication and reordering, 100 seeds",
          "[engine][eap][loss]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    EapPair ep;
    ep.lc.retransmit_timeout = ep.rc.retransmit_timeout = 1s;
    ep.lc.retransmit_tries = ep.rc.retransmit_tries = 10;
    // Five IKE_AUTH round trips at 30% loss each way: a round trip lost six times in a
    // row takes 1+1.8+...+1.8^5 = 42 s of back-off, beyond the default 30 s half-open
    // timeout (which each EAP step renews; seed 42 loses one seven times, 135 s). The
    // responder waits as long as the initiator keeps retransmitting one request.
    ep.rc.half_open_timeout = 600s;
    ep.lc.debug_events = ep.rc.debug_events = true;
    Pair p = ep.make(seed);
    p.net.loss = 0.3;
    p.net.duplicate = 0.1;
    p.net.reorder = 0.5;
    p.initiate();
    bool up = p.net.run_until([&] { return p.both_up(); }, 600s);
    for (auto* n : {p.left, p.right})
      for (const auto& f : n->all<Failure>())
        UNSCOPED_INFO(n->name << " failure: " << f.reason);
    if (!p.both_up())
      for (auto* n : {p.left, p.right})
        for (const auto& e : n->events) {
          if (auto* d = std::get_if<InputDropped>(&e))
            UNSCOPED_INFO(n->name << " drop: " << drop_reason_name(d->reason) << " " << d->detail);
          else
            UNSCOPED_INFO(n->name << " event " << e.index());
        }
    INFO("left stats: retransmissions " << p.left->engine->stats().retransmissions);
    REQUIRE(up);
    auto lc = p.left->all<ChildSaUp>(), rc = p.right->all<ChildSaUp>();
    REQUIRE(lc.size() == 1);
    REQUIRE(rc.size() == 1);
    CHECK(lc[0].spi_in == rc[0].spi_out);
    CHECK(p.left->count<Failure>() == 0);
    CHECK(p.right->count<Failure>() == 0);
  }
}

// The payload rules admit HDR, SK {EAP} as an IKE_AUTH request (2.16); one that arrives
// where the first IKE_AUTH request is due has no IDi and must be dropped, not read.
TEST_CASE("EAP: an EAP-only IKE_AUTH request to a half-open responder is dropped",
          "[engine][eap]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2"));
  l.emit_keys = true;
  Pair p(l, config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1")));
  p.net.tap = [](Bytes& d, const Transmit&) { return d.size() < 19 || d[18] != 35; };
  p.initiate();
  p.net.run_for(500ms); // IKE_SA_INIT done; the real IKE_AUTH request never arrives
  const IkeSaKeys* keys = ike_keys(*p.left);
  REQUIRE(keys);
  // EAP payload: generic header, then Response/Identity "abcd" (RFC 3748 5.1).
  const Bytes eap = {0, 0, 0, 13, 2, 0, 0, 9, 1, 'a', 'b', 'c', 'd'};
  Sealed m;
  m.first_inner = uint8_t(wire::PayloadType::eap);
  SeededRng rng(7);
  Bytes request = craft_sealed(*keys, m, eap, rng);
  REQUIRE(!request.empty());
  uint64_t before = p.right->engine->stats().dropped_total();
  auto out = exchange(p.net, *p.right, "10.0.0.1", request);
  CHECK(out.empty());
  CHECK(p.right->engine->stats().dropped_total() == before + 1);
  CHECK(p.right->count<IkeSaUp>() == 0);
}

TEST_CASE("EAP-MSCHAPv2 with a virtual IP: CFG_REQUEST in the first IKE_AUTH request, "
          "CFG_REPLY with the Child SA in the last response, the lease keyed by the EAP user",
          "[engine][eap][cp]") {
  EapPair ep("phone-1"); // the IKE identity; the EAP user is alice
  ep.l.eap_identity = "alice";
  ep.l.request_vips.push_back(*IpAddress::parse("0.0.0.0"));
  ep.r.pools.push_back(*Prefix::parse("10.99.0.0/24"));
  ep.r.dns.push_back(*IpAddress::parse("10.99.0.53"));
  ep.lc.emit_keys = true;
  Pair p = ep.make();
  std::vector<Captured> seen;
  up_captured(p, seen);
  auto lc = p.left->all<ChildSaUp>(), rc = p.right->all<ChildSaUp>();
  REQUIRE(lc.size() == 1);
  REQUIRE(lc[0].virtual_ips.size() == 1);
  CHECK(lc[0].virtual_ips[0].to_string() == "10.99.0.1");
  REQUIRE(lc[0].dns.size() == 1);
  CHECK(lc[0].dns[0].to_string() == "10.99.0.53");
  CHECK(ts_strings(rc[0].remote_ts) == std::vector<std::string>{"10.99.0.1"});
  auto leases = p.right->all<Lease>();
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].identity == "alice");
  const IkeSaKeys* keys = ike_keys(*p.left);
  REQUIRE(keys);
  std::vector<std::string> flow;
  for (const auto& c : seen)
    if (describe(c, keys).find("IKE_AUTH") != std::string::npos) flow.push_back(describe(c, keys));
  REQUIRE(flow.size() == 10);
  CHECK(flow.front().find(" CP SA TSi TSr }") != std::string::npos);
  CHECK(flow[1].find("CP") == std::string::npos);
  CHECK(flow.back() == "10.0.0.2 IKE_AUTH response I=0 mid=5: SK{ AUTH N(MOBIKE_SUPPORTED) CP SA "
                       "TSi TSr }");
}

// ---------------------------------------------------------------- EAP relayed (RFC 3579)
//
// The responder passes EAP through to a server elsewhere (ike/eap_relay.hpp): it asks for
// the identity itself, then parks each IKE_AUTH request until the backend answers.
//
//   IKE_AUTH{EAP(Response/Identity)} -->  [backend request 1: User-Name alice, no State]
//                                          ... delay ...
//                         <--  IKE_AUTH{EAP(Request/MSCHAPv2 Challenge)}  (State "state-1")
//   ...                                    (the same for the Response and the Success)
//
// The backend here is what the I/O layer's RADIUS client would hand back: a real EAP-
// MSCHAPv2 server per conversation, found by the State it gave out, answering after
// `delay` of virtual time.

namespace {

struct FakeRadius {
  std::map<std::string, std::string> users{{"alice", "clientPass"}};
  Duration delay = 5s; // beyond the client's 4 s retransmission timeout
  bool silent = false;
  bool answer_timeout = false;
  SeededRng rng{99};
  eap::PasswordLookup lookup = [this](std::string_view id) -> std::optional<SecretBytes> {
    auto it = users.find(std::string(id));
    if (it == users.end()) return std::nullopt;
    return SecretBytes(as_bytes(it->second));
  };
  std::map<std::string, std::unique_ptr<eap::Server>> conversations; // by State
  std::vector<EapBackendRequest> seen;

  std::optional<Net::BackendReply> answer(const EapBackendRequest& r) {
    seen.push_back(r);
    if (silent) return std::nullopt;
    EapBackendAnswer a;
    a.token = r.token;
    a.sa = r.sa;
    if (answer_timeout) return Net::BackendReply{delay, std::move(a)}; // verdict timeout
    std::string key(r.state.begin(), r.state.end());
    auto it = conversations.find(key);
    if (it == conversations.end()) { // a new conversation starts with Response/Identity
      REQUIRE(r.state.empty());
      REQUIRE(r.eap_message.size() > 4);
      auto s = std::make_unique<eap::Server>(eap::ServerConfig{"fake-radius", r.eap_message[1]},
                                             rng, lookup);
      Bytes identity_request(64);
      REQUIRE(s->start(identity_request));
      key = "state-" + std::to_string(conversations.size() + 1);
      it = conversations.emplace(key, std::move(s)).first;
    }
    Bytes out(4096);
    eap::Step st = it->second->receive(r.eap_message, out);
    REQUIRE_FALSE(st.dropped);
    a.eap_message.assign(out.begin(), out.begin() + long(st.written));
    switch (it->second->status()) {
    case eap::Status::running:
      a.verdict = EapBackendVerdict::challenge;
      a.state.assign(key.begin(), key.end());
      break;
    case eap::Status::success:
      a.verdict = EapBackendVerdict::accept;
      a.msk = it->second->msk();
      break;
    case eap::Status::failure:
      a.verdict = EapBackendVerdict::reject;
      a.detail = "Access-Reject from fake-radius";
      break;
    }
    return Net::BackendReply{delay, std::move(a)};
  }
};

struct RelayPair {
  EapPair ep;
  std::shared_ptr<FakeRadius> radius = std::make_shared<FakeRadius>();
  explicit RelayPair(std::string password = "clientPass") : ep("alice", std::move(password)) {
    ep.r.eap_backend = relay_backend();
  }
  Pair make() {
    Pair p = ep.make();
    p.net.backend = [r = radius](const EapBackendRequest& q) { return r->answer(q); };
    return p;
  }
};

} // namespace

TEST_CASE("EAP relayed to a backend that answers after 5 s: parked requests, both sides up",
          "[engine][eap][relay]") {
  RelayPair rp;
  Pair p = rp.make();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }, 120s));
  auto ru = p.right->all<IkeSaUp>().at(0);
  CHECK(ru.eap_method == "eap-radius");
  CHECK(ru.eap_identity == "alice");
  CHECK(ru.remote_auth == "eap-radius");
  CHECK(p.left->all<IkeSaUp>().at(0).eap_method == "eap-mschapv2");
  CHECK(p.left->count<Failure>() == 0);
  CHECK(p.right->count<Failure>() == 0);
  // Response/Identity, MS-CHAPv2 Response, Success Response: one backend request each,
  // whatever the client retransmitted meanwhile.
  const auto& seen = rp.radius->seen;
  REQUIRE(seen.size() == 3);
  for (const auto& r : seen) {
    CHECK(r.identity == "alice");
    CHECK(r.peer == "gw");
    CHECK(r.remote.to_string() == "10.0.0.1");
    CHECK(r.local.to_string() == "10.0.0.2");
  }
  CHECK(seen[0].state.empty());
  CHECK(std::string(seen[1].state.begin(), seen[1].state.end()) == "state-1");
  CHECK(std::string(seen[2].state.begin(), seen[2].state.end()) == "state-1");
  // The client retransmitted each parked request once (after 4 s): dropped in progress,
  // never answered twice.
  CHECK(p.left->engine->stats().retransmissions == 3);
  CHECK(p.right->engine->stats().dropped_for(DropReason::duplicate) == 3);
  CHECK(p.right->engine->stats().retransmits_answered == 0);
}

TEST_CASE("EAP relayed: the backend rejects a wrong password, AUTHENTICATION_FAILED on "
          "both sides",
          "[engine][eap][relay]") {
  RelayPair rp("wrong");
  rp.radius->delay = 100ms;
  Pair p = rp.make();
  auto [rf, lf] = run_to_failure(p);
  CHECK(rf.step == FailureStep::eap);
  CHECK(rf.reason.find("backend_reject") != std::string::npos);
  CHECK(rf.reason.find("Access-Reject from fake-radius") != std::string::npos);
  CHECK(rf.notify == wire::NotifyType::authentication_failed);
  CHECK(rf.offered == std::vector<std::string>{"alice"});
  CHECK(lf.step == FailureStep::eap);
  CHECK(lf.from_peer);
  CHECK(lf.notify == wire::NotifyType::authentication_failed);
}

TEST_CASE("EAP relayed: a backend that times out or never answers", "[engine][eap][relay]") {
  RelayPair rp;
  SECTION("the I/O layer reports a timeout: AUTHENTICATION_FAILED") {
    rp.radius->answer_timeout = true;
    rp.radius->delay = 6s;
    Pair p = rp.make();
    auto [rf, lf] = run_to_failure(p);
    CHECK(rf.step == FailureStep::eap);
    CHECK(rf.reason.find("backend_timeout") != std::string::npos);
    CHECK(lf.notify == wire::NotifyType::authentication_failed);
  }
  SECTION("no answer at all: at the half-open timeout the parked request is answered "
          "AUTHENTICATION_FAILED; a late answer is ignored") {
    rp.radius->silent = true;
    rp.ep.rc.half_open_timeout = 20s;
    rp.ep.lc.retransmit_tries = 10; // the client outlasts the responder's wait
    Pair p = rp.make();
    auto [rf, lf] = run_to_failure(p);
    REQUIRE(rp.radius->seen.size() == 1);
    CHECK(rf.step == FailureStep::eap);
    CHECK(rf.reason.find("backend_timeout") != std::string::npos);
    CHECK(rf.reason.find("half-open timeout") != std::string::npos);
    CHECK(lf.notify == wire::NotifyType::authentication_failed);
    EapBackendAnswer late;
    late.token = rp.radius->seen[0].token;
    late.sa = rp.radius->seen[0].sa;
    late.verdict = EapBackendVerdict::challenge;
    p.right->engine->backend_answer(late, p.net.now);
    Bytes buf(65535);
    CHECK_FALSE(p.right->engine->poll_transmit(buf));
  }
}

// Uniqueness (uniqueness.cpp) with EAP: the client is its EAP identity, as charon's
// get_other_eap_id. Two devices with one IKE identity ("phone") but different EAP users
// both stay up, though each sends INITIAL_CONTACT; the same EAP user again replaces.
TEST_CASE("EAP and uniqueness: the EAP identity, not the shared IKE identity, names the "
          "client",
          "[engine][eap][unique]") {
  EapPair ep("phone");
  ep.l.eap_identity = "alice";
  ep.r.remote_address.reset(); // clients from any address
  ep.r.unique = UniquePolicy::replace;
  Pair p = ep.make();
  auto device = [&](const char* addr, const char* user, const char* password, uint64_t seed) {
    PeerConfig c = ep.l;
    c.local = Endpoint{ip(addr), 500};
    c.eap_identity = user;
    c.eap_password = SecretBytes(as_bytes(std::string_view(password)));
    Config cfg = ep.lc;
    cfg.peers = {c};
    return &p.net.add(addr, addr, cfg, seed);
  };
  Node* bob = device("10.0.0.3", "bob", "other", 31);
  Node* alice2 = device("10.0.0.4", "alice", "clientPass", 32);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 1; }));
  REQUIRE(bob->engine->initiate("home", p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 2; }));
  p.net.run_for(5s);
  auto up = p.right->all<IkeSaUp>();
  CHECK(up[0].remote_id.to_string() == "phone");
  CHECK(up[1].remote_id.to_string() == "phone");
  CHECK(up[1].eap_identity == "bob");
  CHECK(up[1].replaces.empty());
  CHECK(p.right->count<IkeSaDown>() == 0);
  auto listed = p.right->engine->list_sas();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].eap_method == "eap-mschapv2");
  CHECK(listed[0].eap_identity == "alice");
  CHECK(listed[1].eap_identity == "bob");

  REQUIRE(alice2->engine->initiate("home", p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 3; }));
  up = p.right->all<IkeSaUp>();
  CHECK(up[2].eap_identity == "alice");
  CHECK(up[2].replaces == std::vector<SaId>{up[0].sa});
  auto down = p.right->all<IkeSaDown>();
  REQUIRE(down.size() == 1);
  CHECK(down[0].sa == up[0].sa);
}

// We were the client's EAP server whoever started the IKE SA's latest rekey: a rekey the
// responder starts makes it the initiator of the new IKE SA (RFC 7296 2.18), but the
// client is still its EAP identity (uniqueness.cpp, SaTable::same_peer_identity). Judged
// by sa.initiator, the rekeyed IKE SA compared the shared IKE identity, and the same EAP
// user coming back from another device did not replace it.
TEST_CASE("EAP and uniqueness after the responder rekeyed the IKE SA: still the client's EAP "
          "identity",
          "[engine][eap][unique]") {
  EapPair ep("phone");
  ep.l.eap_identity = "alice";
  ep.r.remote_address.reset(); // clients from any address
  ep.r.unique = UniquePolicy::replace;
  Pair p = ep.make();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  const SaId first = p.right->all<IkeSaUp>()[0].sa;
  REQUIRE(p.right->engine->rekey_ike(first, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.left->count<IkeSaRekeyed>() == 1; }));
  p.net.run_for(5s);
  REQUIRE(p.right->all<IkeSaRekeyed>().at(0).sa == first);
  auto listed = p.right->engine->list_sas();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].eap_identity == "alice");

  PeerConfig c = ep.l; // alice again, from a second device with the same IKE identity
  c.local = Endpoint{ip("10.0.0.4"), 500};
  Config cfg = ep.lc;
  cfg.peers = {c};
  Node* alice2 = &p.net.add("10.0.0.4", "10.0.0.4", cfg, 32);
  REQUIRE(alice2->engine->initiate("home", p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<IkeSaUp>() == 2; }));
  p.net.run_for(5s);
  auto up = p.right->all<IkeSaUp>();
  CHECK(up[1].eap_identity == "alice");
  CHECK(up[1].replaces == std::vector<SaId>{first});
  auto down = p.right->all<IkeSaDown>();
  REQUIRE(down.size() == 1);
  CHECK(down[0].sa == first);
  CHECK(p.right->engine->list_sas().size() == 1);
}
