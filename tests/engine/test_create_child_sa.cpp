// RFC 7296 1.3, 2.8, 2.8.1, 2.17, 2.18: CREATE_CHILD_SA.
//
//   Rekey a Child SA:
//   HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}  -->
//                                 <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
//   HDR, SK {D(ESP, old)}  -->
//                                 <--  HDR, SK {D(ESP, old')}
//
//   Rekey the IKE SA:
//   HDR, SK {SA, Ni, KEi}  -->
//                                 <--  HDR, SK {SA, Nr, KEr}
//   (old IKE SA) HDR, SK {D(IKE)}  -->
//                                 <--  HDR, SK {}
#include "sim.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ike;
using namespace ikekit::ike::test;

namespace {

const ChildSaUp* child_up(Node* n, uint32_t spi_in) {
  for (auto& e : n->events)
    if (auto* c = std::get_if<ChildSaUp>(&e); c && c->spi_in == spi_in) return c;
  return nullptr;
}

Pair up_pair(std::string_view esp = "aes256gcm16", uint64_t seed = 1) {
  auto l =
      config_with(psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-ecp256", esp));
  auto r = config_with(psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256", esp));
  l.emit_keys = r.emit_keys = true;
  l.retransmit_timeout = r.retransmit_timeout = 1s;
  l.retransmit_tries = r.retransmit_tries = 10;
  return Pair(l, r, seed);
}

void check_paired(Node* a, Node* b, uint32_t a_spi_in) {
  const ChildSaUp* ka = child_up(a, a_spi_in);
  REQUIRE(ka);
  const ChildSaUp* kb = child_up(b, ka->spi_out);
  REQUIRE(kb);
  CHECK(kb->spi_out == a_spi_in);
  CHECK(equal_bytes(ka->encr_in.reveal(), kb->encr_out.reveal()));
  CHECK(equal_bytes(ka->encr_out.reveal(), kb->encr_in.reveal()));
}
} // namespace

TEST_CASE("rekey a Child SA without PFS: new SPIs, keys paired, old SA deleted",
          "[engine][create_child_sa][rekey]") {
  Pair p = up_pair();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  uint32_t old_in = p.left->all<ChildSaUp>()[0].spi_in;
  REQUIRE(p.left->engine->rekey_child(sa_of(p.left), old_in, p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<ChildSaDown>() == 1 && p.right->count<ChildSaDown>() == 1; }));
  auto lu = p.left->all<ChildSaUp>();
  REQUIRE(lu.size() == 2);
  CHECK(lu[1].rekeyed_spi_in == old_in);
  CHECK(lu[1].spi_in != old_in);
  auto lr = p.left->all<ChildSaRekeyed>(), rr = p.right->all<ChildSaRekeyed>();
  REQUIRE(lr.size() == 1);
  REQUIRE(rr.size() == 1);
  CHECK(lr[0].new_spi_in == rr[0].new_spi_out);
  CHECK(p.left->all<ChildSaDown>()[0].reason == DownReason::rekeyed);
  CHECK(p.right->all<ChildSaDown>()[0].reason == DownReason::rekeyed);
  check_paired(p.left, p.right, lu[1].spi_in);
  auto sas = p.left->engine->list_sas();
  REQUIRE(sas[0].children.size() == 1);
  CHECK(sas[0].children[0].spi_in == lu[1].spi_in);
  CHECK(p.right->engine->list_sas()[0].children.size() == 1);
}

TEST_CASE("rekey a Child SA with PFS (KE in CREATE_CHILD_SA)", "[engine][create_child_sa][rekey]") {
  Pair p = up_pair("aes128gcm16-ecp256");
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  // The first Child SA ignores the KE transform (RFC 7296 1.2).
  uint32_t old_in = p.right->all<ChildSaUp>()[0].spi_in;
  REQUIRE(p.right->engine->rekey_child(sa_of(p.right), old_in, p.net.now)); // from the responder
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<ChildSaDown>() == 1 && p.right->count<ChildSaDown>() == 1; }));
  auto ru = p.right->all<ChildSaUp>();
  REQUIRE(ru.size() == 2);
  check_paired(p.right, p.left, ru[1].spi_in);
  CHECK(p.left->count<Failure>() == 0);
}

TEST_CASE("an additional Child SA with other traffic selectors", "[engine][create_child_sa]") {
  Pair p = up_pair();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  ChildConfig c = p.left->engine->config().peers[0].child;
  c.name = "second";
  REQUIRE(p.left->engine->create_child(sa_of(p.left), c, p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<ChildSaUp>() == 2 && p.right->count<ChildSaUp>() == 2; }));
  auto lu = p.left->all<ChildSaUp>();
  CHECK(lu[1].name == "second");
  CHECK_FALSE(lu[1].rekeyed_spi_in);
  check_paired(p.left, p.right, lu[1].spi_in);
  CHECK(p.left->engine->list_sas()[0].children.size() == 2);
}

TEST_CASE("rekey the IKE SA: new SPIs and keys, same SaId, Child SAs kept, old IKE SA deleted",
          "[engine][create_child_sa][rekey]") {
  Pair p = up_pair();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  SaId id = sa_of(p.left);
  auto before = p.left->all<IkeSaUp>()[0];
  REQUIRE(p.left->engine->rekey_ike(id, p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<IkeSaRekeyed>() == 1 && p.right->count<IkeSaRekeyed>() == 1; }));
  p.net.run_for(5s);
  auto lr = p.left->all<IkeSaRekeyed>()[0], rr = p.right->all<IkeSaRekeyed>()[0];
  CHECK(lr.sa == id);
  CHECK(lr.old_spi_i == before.spi_i);
  CHECK(lr.new_spi_i == rr.new_spi_i);
  CHECK(lr.new_spi_r == rr.new_spi_r);
  CHECK(lr.new_spi_i != before.spi_i);
  CHECK(p.left->count<IkeSaDown>() == 0);
  CHECK(p.right->count<IkeSaDown>() == 0);
  CHECK(p.left->count<ChildSaDown>() == 0);
  auto sas = p.left->engine->list_sas();
  REQUIRE(sas.size() == 1);
  CHECK(sas[0].spi_i == lr.new_spi_i);
  CHECK(sas[0].children.size() == 1);
  CHECK(p.right->engine->list_sas().size() == 1);
  // The new IKE SA works: rekey a Child SA over it, then delete it.
  uint32_t old_in = p.left->all<ChildSaUp>()[0].spi_in;
  REQUIRE(p.left->engine->rekey_child(id, old_in, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.right->count<ChildSaDown>() == 1; }));
  REQUIRE(p.right->engine->terminate(sa_of(p.right), p.net.now));
  REQUIRE(p.net.run_until([&] { return p.left->count<IkeSaDown>() == 1; }));
  CHECK(p.left->count<Failure>() == 0);
  CHECK(p.right->count<Failure>() == 0);
}

TEST_CASE("rekey the IKE SA from the responder: it becomes the initiator of the new SA",
          "[engine][create_child_sa][rekey]") {
  Pair p = up_pair();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  REQUIRE(p.right->engine->rekey_ike(sa_of(p.right), p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<IkeSaRekeyed>() == 1 && p.right->count<IkeSaRekeyed>() == 1; }));
  p.net.run_for(5s);
  CHECK(p.right->engine->list_sas()[0].initiator);
  CHECK_FALSE(p.left->engine->list_sas()[0].initiator);
  REQUIRE(p.left->engine->send_dpd(sa_of(p.left), p.net.now));
  p.net.run_for(5s);
  CHECK(p.left->engine->stats().retransmissions == 0);
  CHECK(p.left->count<IkeSaDown>() == 0);
}

TEST_CASE("simultaneous Child SA rekey: one new SA survives on both sides (RFC 7296 2.8.1)",
          "[engine][create_child_sa][collision]") {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    INFO("seed " << seed);
    Pair p = up_pair("aes256gcm16", seed);
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }));
    uint32_t l_in = p.left->all<ChildSaUp>()[0].spi_in;
    uint32_t r_in = p.right->all<ChildSaUp>()[0].spi_in;
    REQUIRE(p.left->engine->rekey_child(sa_of(p.left), l_in, p.net.now));
    REQUIRE(p.right->engine->rekey_child(sa_of(p.right), r_in, p.net.now));
    p.net.run_for(30s);
    auto ls = p.left->engine->list_sas(), rs = p.right->engine->list_sas();
    REQUIRE(ls.size() == 1);
    REQUIRE(rs.size() == 1);
    REQUIRE(ls[0].children.size() == 1);
    REQUIRE(rs[0].children.size() == 1);
    CHECK(ls[0].children[0].spi_in == rs[0].children[0].spi_out);
    CHECK(ls[0].children[0].spi_in != l_in);
    check_paired(p.left, p.right, ls[0].children[0].spi_in);
  }
}

TEST_CASE("lifetimes: Child SA and IKE SA rekeyed by their soft limits",
          "[engine][create_child_sa][lifetime]") {
  auto l = psk_peer("home", "10.0.0.1", "10.0.0.2");
  l.child.lifetimes = Lifetimes{60s, 90s, 10s};
  l.ike_lifetimes = Lifetimes{200s, 300s, 10s};
  auto r = psk_peer("gw", "10.0.0.2", "10.0.0.1");
  r.child.lifetimes = Lifetimes{0s, 0s, 0s};
  Pair p(config_with(l), config_with(r));
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  p.net.run_for(250s);
  CHECK(p.left->count<ChildSaRekeyed>() >= 4);
  CHECK(p.left->count<IkeSaRekeyed>() == 1);
  CHECK(p.left->count<IkeSaDown>() == 0);
  CHECK(p.left->count<Failure>() == 0);
  CHECK(p.left->engine->list_sas()[0].children.size() == 1);
  CHECK(p.right->engine->list_sas()[0].children.size() == 1);
}

TEST_CASE("PFS group mismatch: INVALID_KE_PAYLOAD in CREATE_CHILD_SA, retried with the asked group",
          "[engine][create_child_sa][rekey]") {
  auto l = config_with(psk_peer("home", "10.0.0.1", "10.0.0.2", "aes256gcm16-prfsha256-ecp256",
                                "aes128gcm16-x25519-ecp256"));
  auto r = config_with(
      psk_peer("gw", "10.0.0.2", "10.0.0.1", "aes256gcm16-prfsha256-ecp256", "aes128gcm16-ecp256"));
  l.emit_keys = r.emit_keys = true;
  Pair p(l, r);
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  uint32_t old_in = p.left->all<ChildSaUp>()[0].spi_in;
  REQUIRE(p.left->engine->rekey_child(sa_of(p.left), old_in, p.net.now));
  REQUIRE(p.net.run_until(
      [&] { return p.left->count<ChildSaDown>() == 1 && p.right->count<ChildSaDown>() == 1; }));
  CHECK(p.left->count<Failure>() == 0);
  auto lu = p.left->all<ChildSaUp>();
  REQUIRE(lu.size() == 2);
  check_paired(p.left, p.right, lu[1].spi_in);
}

namespace {
// The cleartext IKE header of one datagram as it left a node (RFC 7296 3.1).
struct Seen {
  IpAddress from;
  uint64_t spi_i = 0, spi_r = 0;
  uint8_t exchange = 0;
  bool initiator_flag = false, response = false;
};

std::vector<IkeSaKeys> all_ike_keys(Node* n) {
  std::vector<IkeSaKeys> v;
  for (auto& e : n->events)
    if (auto* k = std::get_if<SaKeys>(&e)) v.push_back(k->keys);
  return v;
}

bool has_request_and_response(const std::vector<Seen>& seen, uint64_t spi_i, uint64_t spi_r,
                              uint8_t exchange, const IpAddress& from) {
  bool req = false, resp = false;
  for (const auto& s : seen) {
    if (s.spi_i != spi_i || s.spi_r != spi_r || s.exchange != exchange) continue;
    if (!s.response && s.from == from) req = true;
    if (s.response && s.from != from) resp = true;
  }
  return req && resp;
}
} // namespace

//   Simultaneous IKE SA rekey (RFC 7296 2.8.1, 2.8.2), both ends notice it:
//   A: HDR, SK {SA, Ni1, KEi1}  -->  <--  B: HDR, SK {SA, Ni2, KEi2}
//   A: HDR, SK {SA, Nr2, KEr2}  -->  <--  B: HDR, SK {SA, Nr1, KEr1}
//   Two new IKE SAs; the one with the lowest of Ni1, Nr1, Ni2, Nr2 is deleted by the end
//   that created it, the other inherits the Child SAs, and its initiator deletes the old
//   IKE SA.
TEST_CASE("simultaneous IKE SA rekey: both exchanges complete, the lowest-nonce SA is deleted by "
          "its creator (RFC 7296 2.8.1)",
          "[engine][create_child_sa][collision]") {
  int left_won = 0, right_won = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    Pair p = up_pair("aes256gcm16", seed);
    std::vector<Seen> seen;
    p.net.tap = [&](Bytes& d, const Transmit& t) {
      if (d.size() >= 28)
        seen.push_back(Seen{t.local.address, load_be64(d.data()), load_be64(d.data() + 8), d[18],
                            (d[19] & 0x08) != 0, (d[19] & 0x20) != 0});
      return true;
    };
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }));
    auto before = p.left->all<IkeSaUp>()[0];
    size_t l_keys = all_ike_keys(p.left).size(), r_keys = all_ike_keys(p.right).size();
    uint32_t l_child = p.left->all<ChildSaUp>()[0].spi_in;
    TimePoint t0 = p.net.now;
    REQUIRE(p.left->engine->rekey_ike(sa_of(p.left), p.net.now));
    REQUIRE(p.right->engine->rekey_ike(sa_of(p.right), p.net.now));
    REQUIRE(p.net.run_until(
        [&] { return p.left->count<IkeSaRekeyed>() >= 1 && p.right->count<IkeSaRekeyed>() >= 1; },
        60s));
    // No TEMPORARY_FAILURE and retry after 1-5 s: both exchanges completed in round trips.
    CHECK(p.net.now - t0 < 500ms);
    p.net.run_for(30s);

    // Both exchanges created an IKE SA, on both ends (the same two).
    auto lk = all_ike_keys(p.left), rk = all_ike_keys(p.right);
    REQUIRE(lk.size() == l_keys + 2);
    REQUIRE(rk.size() == r_keys + 2);
    std::vector<std::pair<uint64_t, uint64_t>> lnew, rnew;
    for (size_t i = l_keys; i < lk.size(); ++i)
      lnew.emplace_back(lk[i].spi_i, lk[i].spi_r);
    for (size_t i = r_keys; i < rk.size(); ++i)
      rnew.emplace_back(rk[i].spi_i, rk[i].spi_r);
    std::sort(lnew.begin(), lnew.end());
    std::sort(rnew.begin(), rnew.end());
    CHECK(lnew == rnew);

    // One ike_sa_rekeyed per end, same SaId, the surviving SPIs.
    auto lr = p.left->all<IkeSaRekeyed>(), rr = p.right->all<IkeSaRekeyed>();
    REQUIRE(lr.size() == 1);
    REQUIRE(rr.size() == 1);
    CHECK(lr[0].sa == sa_of(p.left));
    CHECK(rr[0].sa == sa_of(p.right));
    CHECK(lr[0].old_spi_i == before.spi_i);
    CHECK(lr[0].old_spi_r == before.spi_r);
    CHECK(lr[0].new_spi_i == rr[0].new_spi_i);
    CHECK(lr[0].new_spi_r == rr[0].new_spi_r);
    auto ls = p.left->engine->list_sas(), rs = p.right->engine->list_sas();
    REQUIRE(ls.size() == 1); // the old IKE SA and the redundant new one are gone
    REQUIRE(rs.size() == 1);
    CHECK(ls[0].spi_i == lr[0].new_spi_i);
    CHECK(ls[0].spi_r == lr[0].new_spi_r);
    CHECK(rs[0].spi_i == lr[0].new_spi_i);
    CHECK(rs[0].spi_r == lr[0].new_spi_r);
    CHECK(ls[0].initiator != rs[0].initiator);
    std::pair<uint64_t, uint64_t> survivor{lr[0].new_spi_i, lr[0].new_spi_r};
    REQUIRE(std::find(lnew.begin(), lnew.end(), survivor) != lnew.end());
    std::pair<uint64_t, uint64_t> redundant = lnew[0] == survivor ? lnew[1] : lnew[0];

    // The redundant SA is deleted by its initiator (the end that is not the initiator of
    // the survivor); the old IKE SA by the initiator of the survivor.
    Node* creator_of_survivor = ls[0].initiator ? p.left : p.right;
    Node* creator_of_redundant = ls[0].initiator ? p.right : p.left;
    (creator_of_survivor == p.left ? left_won : right_won)++;
    CHECK(has_request_and_response(seen, redundant.first, redundant.second, 37,
                                   creator_of_redundant->address));
    CHECK_FALSE(has_request_and_response(seen, redundant.first, redundant.second, 37,
                                         creator_of_survivor->address));
    for (const auto& s : seen)
      if (s.spi_i == redundant.first && s.spi_r == redundant.second && s.exchange == 37 &&
          !s.response)
        CHECK(s.initiator_flag);
    CHECK(has_request_and_response(seen, before.spi_i, before.spi_r, 37,
                                   creator_of_survivor->address));
    CHECK_FALSE(has_request_and_response(seen, before.spi_i, before.spi_r, 37,
                                         creator_of_redundant->address));

    // Child SAs survive on the new IKE SA.
    CHECK(p.left->count<IkeSaDown>() == 0);
    CHECK(p.right->count<IkeSaDown>() == 0);
    CHECK(p.left->count<ChildSaDown>() == 0);
    CHECK(p.right->count<ChildSaDown>() == 0);
    REQUIRE(ls[0].children.size() == 1);
    REQUIRE(rs[0].children.size() == 1);
    CHECK(ls[0].children[0].spi_in == l_child);
    CHECK(ls[0].children[0].spi_in == rs[0].children[0].spi_out);
    CHECK(p.left->count<Failure>() == 0);
    CHECK(p.right->count<Failure>() == 0);
    // The survivor works: DPD answered, then a Child SA rekey over it.
    REQUIRE(p.left->engine->send_dpd(sa_of(p.left), p.net.now));
    p.net.run_for(5s);
    CHECK(p.left->engine->stats().retransmissions == 0);
    REQUIRE(p.right->engine->rekey_child(sa_of(p.right), rs[0].children[0].spi_in, p.net.now));
    REQUIRE(p.net.run_until(
        [&] { return p.left->count<ChildSaDown>() == 1 && p.right->count<ChildSaDown>() == 1; },
        60s));
    CHECK(p.left->count<Failure>() == 0);
    CHECK(p.right->count<Failure>() == 0);
  }
  // Either end's SA survives, depending on the nonces.
  CHECK(left_won > 0);
  CHECK(right_won > 0);
}

// RFC 7296 2.8.2 under loss: an end may finish its own rekey before it sees the peer's;
// it answers the peer's with TEMPORARY_FAILURE and deletes the old IKE SA, and the peer,
// which had answered the first end's rekey, keeps that SA. Either way one new IKE SA.
TEST_CASE("simultaneous IKE SA rekey under 30% loss with duplication and reordering, 100 seeds",
          "[engine][create_child_sa][collision][loss]") {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    INFO("seed " << seed);
    Pair p = up_pair("aes256gcm16", seed);
    p.net.loss = 0.3;
    p.net.duplicate = 0.1;
    p.net.reorder = 0.5;
    p.initiate();
    REQUIRE(p.net.run_until([&] { return p.both_up(); }, 600s));
    uint32_t l_child = p.left->all<ChildSaUp>()[0].spi_in;
    REQUIRE(p.left->engine->rekey_ike(sa_of(p.left), p.net.now));
    REQUIRE(p.right->engine->rekey_ike(sa_of(p.right), p.net.now));
    REQUIRE(p.net.run_until(
        [&] { return p.left->count<IkeSaRekeyed>() >= 1 && p.right->count<IkeSaRekeyed>() >= 1; },
        600s));
    p.net.run_for(
        120s); // the Deletes of the old and the redundant IKE SA complete (or they expire)
    auto lr = p.left->all<IkeSaRekeyed>(), rr = p.right->all<IkeSaRekeyed>();
    REQUIRE(lr.size() == 1);
    REQUIRE(rr.size() == 1);
    CHECK(lr[0].new_spi_i == rr[0].new_spi_i);
    CHECK(lr[0].new_spi_r == rr[0].new_spi_r);
    auto ls = p.left->engine->list_sas(), rs = p.right->engine->list_sas();
    REQUIRE(ls.size() == 1);
    REQUIRE(rs.size() == 1);
    CHECK(ls[0].spi_i == lr[0].new_spi_i);
    CHECK(ls[0].spi_r == lr[0].new_spi_r);
    CHECK(rs[0].spi_i == lr[0].new_spi_i);
    CHECK(rs[0].spi_r == lr[0].new_spi_r);
    REQUIRE(ls[0].children.size() == 1);
    REQUIRE(rs[0].children.size() == 1);
    CHECK(ls[0].children[0].spi_in == l_child);
    CHECK(ls[0].children[0].spi_in == rs[0].children[0].spi_out);
    CHECK(p.left->count<IkeSaDown>() == 0);
    CHECK(p.right->count<IkeSaDown>() == 0);
    CHECK(p.left->count<ChildSaDown>() == 0);
    CHECK(p.right->count<ChildSaDown>() == 0);
    CHECK(p.left->count<Failure>() == 0);
    CHECK(p.right->count<Failure>() == 0);
  }
}

TEST_CASE("an additional Child SA refused with TS_UNACCEPTABLE: the Failure names our policy",
          "[engine][create_child_sa][ts]") {
  Pair p = up_pair();
  p.initiate();
  REQUIRE(p.net.run_until([&] { return p.both_up(); }));
  ChildConfig c = p.left->engine->config().peers[0].child;
  c.name = "second";
  c.local_ts = {*TsSpec::parse("10.7.0.0/16")};
  c.remote_ts = {*TsSpec::parse("10.8.0.0/16")};
  REQUIRE(p.left->engine->create_child(sa_of(p.left), c, p.net.now));
  REQUIRE(p.net.run_until([&] { return p.left->count<Failure>() == 1; }));
  auto f = p.left->all<Failure>()[0];
  CHECK(f.exchange == wire::ExchangeType::create_child_sa);
  CHECK(f.step == FailureStep::ts);
  CHECK(f.notify == wire::NotifyType::ts_unacceptable);
  CHECK(f.offered == std::vector<std::string>{"TSi 10.7.0.0/16", "TSr 10.8.0.0/16"});
  CHECK(f.configured == std::vector<std::string>{"remote 10.8.0.0/16", "local 10.7.0.0/16"});
  CHECK(p.left->count<IkeSaDown>() == 0);
}
