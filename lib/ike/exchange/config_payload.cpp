// The configuration payload in IKE_AUTH (RFC 7296 2.19, 3.15): virtual IPs and DNS.
//
//   Initiator                         Responder
//   -------------------------------------------------------------------
//   HDR, SK {IDi, [CERT,] AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr}  -->
//                   <--  HDR, SK {IDr, [CERT,] AUTH, CP(CFG_REPLY), SAr2, TSi, TSr}
//
// The request asks for INTERNAL_IP4_ADDRESS / INTERNAL_IP6_ADDRESS (empty: any address,
// as strongSwan sends for 0.0.0.0 / ::) and INTERNAL_IP4_DNS / INTERNAL_IP6_DNS, and
// proposes TSi 0.0.0.0/0 (::/0). The responder leases addresses from its pools by the
// peer's identity (address_pool.hpp) and narrows TSi to them, as strongSwan does: the
// client's traffic leaves from its virtual IP. With EAP (2.16) the request rides in the
// first IKE_AUTH request and the reply in the last response, the one with the Child SA.
// The reply also names the networks behind the responder (INTERNAL_IP4_SUBNET /
// INTERNAL_IP6_SUBNET, 3.15.2) from its configured local traffic selectors.
#include "config_payload.hpp"

#include <algorithm>

namespace ikekit::ike::config_payload {

using wire::CfgAttr;
using wire::CfgType;
using wire::PayloadType;

namespace {

bool is_unspecified(const IpAddress& a) {
  ByteView b = a.bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

// With EAP the user is the EAP identity (many clients may share one IKE identity).
std::string lease_identity(const IkeSa& sa) {
  return sa.eap_identity().empty() ? sa.remote_id.to_string() : sa.eap_identity();
}

// RFC 7296 3.15.2: INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET name the networks behind
// the responder. A CFG_REPLY may carry attributes the request did not name (3.15.1), and
// strongSwan's and the platform clients' requests name none, so every configured local
// traffic selector that is one prefix with any protocol and port is announced. With no
// local_ts configured (the default: our own address) there is no network to announce.
void add_protected_subnets(const ChildConfig& child, wire::CpPayload& reply,
                           std::vector<Bytes>& storage) {
  for (const TsSpec& ts : child.local_ts) {
    auto prefix = ts.prefix();
    if (!prefix || ts.ip_protocol != 0 || ts.start_port != 0 || ts.end_port != 65535) continue;
    storage.push_back(wire::cfg_subnet_value(*prefix));
    reply.attributes.push_back({wire::cfg_subnet_type(*prefix), storage.back()});
  }
}

} // namespace

void write_cfg_request(const IkeSa& sa, wire::PayloadWriter& w, std::vector<Bytes>& storage) {
  const PeerConfig& peer = *sa.peer;
  if (peer.request_vips.empty()) return;
  wire::CpPayload cp{CfgType::cfg_request, {}};
  for (const auto& vip : peer.request_vips) {
    CfgAttr address = vip.is_v4() ? CfgAttr::internal_ip4_address : CfgAttr::internal_ip6_address;
    CfgAttr dns = vip.is_v4() ? CfgAttr::internal_ip4_dns : CfgAttr::internal_ip6_dns;
    ByteView hint;
    if (!is_unspecified(vip)) {
      storage.push_back(wire::cfg_address_value(address, vip));
      hint = storage.back();
    }
    cp.attributes.push_back({address, hint});
    cp.attributes.push_back({dns, {}});
  }
  w.add(PayloadType::cp, cp);
}

std::vector<TsSpec> initiator_local_ts(const EngineContext& cx, const IkeSa& sa) {
  const PeerConfig& peer = *sa.peer;
  if (!peer.child.local_ts.empty() || peer.request_vips.empty())
    return cx.default_ts(peer.child.local_ts, sa.local.address);
  // strongSwan's local_ts = dynamic with a virtual IP: the responder narrows it.
  std::vector<TsSpec> ts;
  for (const auto& vip : peer.request_vips) {
    Prefix any = Prefix::any(vip.family());
    IpAddress last = vip.is_v4() ? *IpAddress::parse("255.255.255.255")
                                 : *IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    ts.push_back(TsSpec{any.addr, last});
  }
  return ts;
}

void read_cfg_reply(IkeSa& sa, const Inbound& in) {
  if (sa.peer->request_vips.empty()) return;
  CpState& state = sa.edit_cp();
  state.ours = true;
  const wire::RawPayload* raw = in.find(PayloadType::cp);
  if (!raw) return;
  auto cp = wire::parse_cp(raw->body);
  if (!cp || cp->type != CfgType::cfg_reply) return;
  for (const auto& a : cp->attributes) {
    if (wire::is_subnet_attribute(a.type)) {
      auto subnet = wire::parse_cfg_subnet(a);
      if (subnet && *subnet) state.subnets.push_back(**subnet);
      continue;
    }
    if (!wire::is_address_attribute(a.type)) continue; // other attributes: not used
    auto v = wire::parse_cfg_address(a);
    if (!v || !*v) continue;
    if (a.type == CfgAttr::internal_ip4_address || a.type == CfgAttr::internal_ip6_address)
      state.vips.push_back((*v)->address);
    else if (a.type == CfgAttr::internal_ip4_dns || a.type == CfgAttr::internal_ip6_dns)
      state.dns.push_back((*v)->address);
  }
}

void read_cfg_request(IkeSa& sa, const Inbound& in) {
  const wire::RawPayload* raw = in.find(PayloadType::cp);
  if (!raw) return;
  auto cp = wire::parse_cp(raw->body);
  if (!cp || cp->type != CfgType::cfg_request) return;
  CpState& state = sa.edit_cp();
  state.requested = true;
  for (const auto& a : cp->attributes) {
    if (a.type == CfgAttr::internal_ip4_address) state.want_v4 = true;
    if (a.type == CfgAttr::internal_ip6_address) state.want_v6 = true;
  }
}

std::optional<Failure> answer_cfg_request(EngineContext& cx, IkeSa& sa, wire::PayloadWriter& w,
                                          std::vector<Bytes>& storage, ChildConfig& child) {
  if (!sa.cp().requested) return std::nullopt;
  CpState& state = sa.edit_cp();
  const PeerConfig& peer = *sa.peer;
  state.lease_identity = lease_identity(sa);
  wire::CpPayload reply{CfgType::cfg_reply, {}};
  std::vector<std::string> exhausted;
  for (bool v4 : {true, false}) {
    if (v4 ? !state.want_v4 : !state.want_v6) continue;
    for (const Prefix& prefix : peer.pools) {
      if (prefix.addr.is_v4() != v4) continue;
      auto it = std::find_if(cx.pools.begin(), cx.pools.end(),
                             [&](const AddressPool& p) { return p.prefix() == prefix; });
      if (it == cx.pools.end()) {
        auto made = AddressPool::create(prefix);
        if (!made) continue; // ike-up checks pools; an engine user's bad prefix leases nothing
        it = cx.pools.insert(cx.pools.end(), std::move(*made));
      }
      auto got = it->acquire(state.lease_identity);
      if (!got) {
        exhausted.push_back(prefix.to_string());
        continue;
      }
      state.vips.push_back(got->address);
      state.leased.push_back(prefix);
      cx.emit(Lease{sa.id, peer.name, LeaseAction::assigned, prefix, got->address,
                    state.lease_identity, got->reused});
      CfgAttr t = v4 ? CfgAttr::internal_ip4_address : CfgAttr::internal_ip6_address;
      storage.push_back(wire::cfg_address_value(t, got->address, 128));
      reply.attributes.push_back({t, storage.back()});
      break;
    }
  }
  if ((state.want_v4 || state.want_v6) && state.vips.empty()) {
    Failure f = cx.failure(sa, wire::ExchangeType::ike_auth, FailureStep::cp,
                           exhausted.empty() ? "no address pool of the family the peer asked for"
                                             : "address pool exhausted");
    f.notify = wire::NotifyType::internal_address_failure;
    if (state.want_v4) f.offered.push_back("INTERNAL_IP4_ADDRESS");
    if (state.want_v6) f.offered.push_back("INTERNAL_IP6_ADDRESS");
    for (const auto& p : peer.pools)
      f.configured.push_back(p.to_string());
    return f;
  }
  for (const auto& d : peer.dns) {
    CfgAttr t = d.is_v4() ? CfgAttr::internal_ip4_dns : CfgAttr::internal_ip6_dns;
    storage.push_back(wire::cfg_address_value(t, d));
    reply.attributes.push_back({t, storage.back()});
  }
  add_protected_subnets(child, reply, storage);
  w.add(PayloadType::cp, reply);
  apply_virtual_ips(sa, child);
  return std::nullopt;
}

void apply_virtual_ips(const IkeSa& sa, ChildConfig& child) {
  const CpState& state = sa.cp();
  if (state.vips.empty()) return;
  if (state.ours && !child.local_ts.empty()) return;
  std::vector<TsSpec>& side = state.ours ? child.local_ts : child.remote_ts;
  side.clear();
  for (const auto& vip : state.vips)
    side.push_back(TsSpec::host(vip));
}

void release_leases(EngineContext& cx, IkeSa& sa) {
  if (sa.silent || !sa.cp_state) return; // an old, rekeyed IKE SA: its leases went to the new one
  CpState& state = *sa.cp_state;
  for (size_t i = 0; i < state.leased.size(); ++i) {
    const Prefix& prefix = state.leased[i];
    auto it = std::find_if(cx.pools.begin(), cx.pools.end(),
                           [&](const AddressPool& p) { return p.prefix() == prefix; });
    if (it == cx.pools.end() || !it->release(state.lease_identity)) continue;
    cx.emit(Lease{sa.id, sa.peer_name(), LeaseAction::released, prefix, state.vips[i],
                  state.lease_identity, false});
  }
  state.leased.clear();
}

} // namespace ikekit::ike::config_payload
