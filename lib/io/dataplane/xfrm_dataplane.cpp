#include "io/dataplane/xfrm_dataplane.hpp"

#include "base/hex.hpp"
#include "io/netlink_socket.hpp" // errno_text
#include "wire/ip.hpp"

#include <algorithm>
#include <cerrno>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netinet/udp.h> // UDP_ENCAP (glibc; <linux/udp.h> redefines its struct udphdr)
#include <string>
#include <sys/socket.h>

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif
#ifndef IP_XFRM_POLICY
#define IP_XFRM_POLICY 17
#endif
#ifndef IPV6_XFRM_POLICY
#define IPV6_XFRM_POLICY 35
#endif

namespace ikekit::io::dataplane {

namespace {

std::optional<XfrmAlgorithm> alg(const crypto::TransformInfo* t, const SecretBytes& key) {
  if (!t) return std::nullopt;
  return XfrmAlgorithm{xfrm_algorithm_name(*t), key.reveal(), uint32_t(t->icv_len) * 8};
}

XfrmSa make_sa(const SaKeys& k, const IpAddress& src, const IpAddress& dst, const ChildSaSpec& spec,
               uint32_t reqid, uint16_t sport, uint16_t dport, bool inbound,
               const std::optional<XfrmMark>& mark, const std::optional<uint32_t>& if_id) {
  XfrmSa sa;
  sa.src = src;
  sa.dst = dst;
  sa.spi = k.spi;
  sa.mode = spec.mode == EspMode::tunnel ? XfrmMode::tunnel : XfrmMode::transport;
  sa.reqid = reqid;
  sa.replay_window = inbound ? spec.replay_window : 0;
  sa.esn = k.esn;
  if (k.encr && k.encr->aead)
    sa.aead = alg(k.encr, k.encr_key);
  else {
    sa.crypt = alg(k.encr, k.encr_key);
    sa.auth = alg(k.integ, k.integ_key);
  }
  if (spec.udp_encap) sa.encap = XfrmEncap{sport, dport}; // RFC 3948
  sa.mark = mark;
  sa.if_id = if_id;
  return sa;
}

// The kernel's port fields of one selector pair, outbound (local -> remote): value/mask
// blocks, several when a range is no single block. ICMP: Type in sport, Code in dport
// (as the kernel's flow keys hold them), from Type * 256 + Code in both selectors'
// ranges (RFC 7296 3.13.1).
struct PortMatch {
  uint16_t sport = 0, dport = 0, sport_mask = 0, dport_mask = 0;
  bool icmp = false;
};

std::vector<esp::PortBlock> blocks_of(const esp::TrafficSelector& t) {
  if (t.opaque_port()) return {esp::PortBlock{0, 0}}; // the kernel has no OPAQUE: ANY
  return esp::port_range_blocks(t.port_start, t.port_end);
}

std::vector<PortMatch> port_matches(const esp::SelectorPair& pair) {
  std::vector<PortMatch> out;
  bool v4 = pair.local.addr.addr.is_v4();
  if (pair.protocol == (v4 ? wire::kIpProtoIcmp : wire::kIpProtoIcmpv6)) {
    auto lo = [](const esp::TrafficSelector& t) { return t.opaque_port() ? 0 : t.port_start; };
    auto hi = [](const esp::TrafficSelector& t) { return t.opaque_port() ? 65535 : t.port_end; };
    uint16_t start = uint16_t(std::max(lo(pair.local), lo(pair.remote)));
    uint16_t end = uint16_t(std::min(hi(pair.local), hi(pair.remote)));
    for (const esp::PortBlock& b : esp::port_range_blocks(start, end))
      out.push_back(PortMatch{uint16_t(b.value >> 8), uint16_t(b.value & 0xff),
                              uint16_t(b.mask >> 8), uint16_t(b.mask & 0xff), true});
    return out;
  }
  for (const esp::PortBlock& l : blocks_of(pair.local))
    for (const esp::PortBlock& r : blocks_of(pair.remote))
      out.push_back(PortMatch{l.value, r.value, l.mask, r.mask, false});
  return out;
}

} // namespace

Result<void> set_udp_encap(int fd) {
  // RFC 3948: hand ESP arriving on this port to the kernel's ESP input.
  int type = UDP_ENCAP_ESPINUDP;
  if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof type) != 0)
    return make_error(Errc::environment, "udp_encap",
                      std::string("setsockopt UDP_ENCAP: ") + errno_text(errno) +
                          ": the kernel lacks ESP-in-UDP (CONFIG_INET_ESP)");
  return {};
}

Result<void> bypass_socket_policy(int fd, bool v6) {
  xfrm_userpolicy_info p{};
  p.action = XFRM_POLICY_ALLOW;
  p.sel.family = uint16_t(v6 ? AF_INET6 : AF_INET);
  for (uint8_t dir : {uint8_t(XFRM_POLICY_OUT), uint8_t(XFRM_POLICY_IN)}) {
    p.dir = dir;
    int r = v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_XFRM_POLICY, &p, sizeof p)
               : setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &p, sizeof p);
    if (r != 0)
      return make_error(Errc::environment, "socket",
                        std::string("setsockopt ") + (v6 ? "IPV6_XFRM_POLICY" : "IP_XFRM_POLICY") +
                            ": " + errno_text(errno) +
                            ": the kernel lacks XFRM (CONFIG_XFRM_USER)");
  }
  return {};
}

esp::SaSelectors XfrmDataplane::selectors(const ChildSaSpec& spec) {
  esp::SaSelectors s{spec.local_ts, spec.remote_ts};
  if (s.local.empty()) s.local.push_back(esp::TrafficSelector{Prefix::host(spec.local)});
  if (s.remote.empty()) s.remote.push_back(esp::TrafficSelector{Prefix::host(spec.remote)});
  return s;
}

Result<XfrmDataplane::Plan> XfrmDataplane::plan(const ChildSaSpec& spec, uint32_t reqid,
                                                const std::optional<XfrmMark>& mark,
                                                const std::optional<uint32_t>& if_id) {
  Plan p;
  p.sa_in = make_sa(spec.in, spec.remote, spec.local, spec, reqid, spec.remote_port,
                    spec.local_port, true, mark, if_id);
  p.sa_out = make_sa(spec.out, spec.local, spec.remote, spec, reqid, spec.local_port,
                     spec.remote_port, false, mark, if_id);
  XfrmMode mode = p.sa_in.mode;
  for (const esp::SelectorPair& pair : esp::selector_pairs(selectors(spec)))
    for (const PortMatch& m : port_matches(pair)) {
      // RFC 4301 4.4.1: outbound local -> remote; inbound (and forwarded, tunnel mode)
      // remote -> local, each requiring this SA's template.
      XfrmPolicy out;
      out.sel = XfrmSelector{pair.local.addr, pair.remote.addr, pair.protocol, m.sport,
                             m.dport,         m.sport_mask,     m.dport_mask};
      out.dir = XfrmDir::out;
      out.tmpl = XfrmTemplate{spec.local, spec.remote, reqid, mode};
      out.mark = mark;
      out.if_id = if_id;
      p.policies.push_back(out);
      XfrmPolicy in = out;
      in.sel = m.icmp ? XfrmSelector{pair.remote.addr, pair.local.addr, pair.protocol, m.sport,
                                     m.dport,          m.sport_mask,    m.dport_mask}
                      : XfrmSelector{pair.remote.addr, pair.local.addr, pair.protocol, m.dport,
                                     m.sport,          m.dport_mask,    m.sport_mask};
      in.dir = XfrmDir::in;
      in.tmpl = XfrmTemplate{spec.remote, spec.local, reqid, mode};
      p.policies.push_back(in);
      if (mode == XfrmMode::tunnel) {
        XfrmPolicy fwd = in;
        fwd.dir = XfrmDir::fwd;
        p.policies.push_back(fwd);
      }
    }
  if (p.policies.size() > kMaxPolicies)
    return make_error(Errc::unsupported, "remote_ts",
                      "the selectors " + esp::to_string(selectors(spec)) + " need " +
                          std::to_string(p.policies.size()) + " kernel policies; at most " +
                          std::to_string(kMaxPolicies));
  return p;
}

Result<XfrmDataplane> XfrmDataplane::open(const XfrmDataplaneOptions& o) {
  auto nl = XfrmNetlink::open();
  if (!nl) return nl.error();
  return open(o, std::move(*nl));
}

Result<XfrmDataplane> XfrmDataplane::open(const XfrmDataplaneOptions& o, XfrmNetlink nl) {
  XfrmDataplane dp(std::move(nl), o);
  if (o.udp_encap && o.shared_encap_fd >= 0) {
    // ike-up: its NAT-T socket holds the port; binding a second one would fail.
    if (auto r = set_udp_encap(o.shared_encap_fd); !r) return r.error();
  } else if (o.udp_encap && o.own_encap_socket) {
    auto fd = open_esp_socket(EspSocketOptions{o.local, true, o.port});
    if (!fd) return fd.error();
    if (auto r = set_udp_encap(fd->get()); !r) return r.error();
    dp.encap_fd_ = std::move(*fd);
  }
  return dp;
}

XfrmDataplane::~XfrmDataplane() {
  if (nl_) (void)remove_all();
}

// RFC 7296 2.8: a rekeyed pair keeps the reqid of the pair it replaces, so the
// policies (which name the reqid) stay as they are and the kernel moves outbound
// traffic to the newer state of that reqid.
uint32_t XfrmDataplane::choose_reqid(const ChildSaSpec& spec) const {
  if (spec.replaces_spi_in)
    for (const Installed& inst : installed_)
      if (inst.spi_in == *spec.replaces_spi_in && inst.ike_sa == spec.ike_sa) return inst.reqid;
  return spec.reqid ? spec.reqid : spec.in.spi;
}

const XfrmPolicy* XfrmDataplane::policy_in_use(const XfrmPolicy& p, const Installed* except) const {
  for (auto it = installed_.rbegin(); it != installed_.rend(); ++it) { // newest first
    if (&*it == except) continue;
    for (const XfrmPolicy& q : it->policies)
      if (q.sel == p.sel && q.dir == p.dir && q.mark == p.mark && q.if_id == p.if_id) return &q;
  }
  return nullptr;
}

Result<void> XfrmDataplane::install_child_sa(const ChildSaSpec& spec) {
  if (auto v = validate_child_sa(spec); !v) return v.error();
  for (const auto* k : {&spec.in, &spec.out})
    for (const auto* t : {k->encr, k->integ})
      if (t && xfrm_algorithm_name(*t).empty())
        return make_error(Errc::unsupported, k == &spec.in ? "in.encr" : "out.encr",
                          std::string(t->keyword) + " has no kernel XFRM algorithm");
  if (spd_.contains(spec.in.spi))
    return make_error(Errc::bad_value, "in.spi",
                      "SPI " + to_hex_u32(spec.in.spi) + " is already installed inbound");
  esp::SaSelectors sel = selectors(spec);
  if (auto c = spd_.conflict(spec.ike_sa, sel)) {
    ++retired_.sa_refused;
    return make_error(Errc::bad_value, "remote_ts",
                      "selectors " + esp::to_string(sel) +
                          " overlap those of the Child SA with inbound SPI " + to_hex_u32(*c) +
                          " of another IKE SA: refused, one peer never takes another's traffic");
  }
  auto p = plan(spec, choose_reqid(spec), options_.mark, options_.if_id);
  if (!p) return p.error();
  Installed inst;
  inst.spi_in = spec.in.spi;
  inst.ike_sa = spec.ike_sa;
  inst.reqid = p->sa_in.reqid;
  inst.in = XfrmSaId{p->sa_in.src, p->sa_in.dst, p->sa_in.spi, options_.mark};
  inst.out = XfrmSaId{p->sa_out.src, p->sa_out.dst, p->sa_out.spi, options_.mark};
  // Inbound first (RFC 7296 2.8), then outbound, then the policies that use them.
  if (auto r = nl_->add_sa(p->sa_in); !r) return Error(r.error()).within("in");
  inst.in_added = true;
  if (auto r = nl_->add_sa(p->sa_out); !r) {
    (void)remove(inst);
    return Error(r.error()).within("out");
  }
  inst.out_added = true;
  if (auto r = install_policies(inst, p->policies); !r) {
    (void)remove(inst);
    return r;
  }
  spd_.add(spec.in.spi, spec.ike_sa, sel, spec.replaces_spi_in);
  inst.spec = spec;
  installed_.push_back(std::move(inst));
  return {};
}

Result<void> XfrmDataplane::move_ike_sa(uint64_t ike_sa, const OuterEndpoints& to) {
  bool any = false;
  for (Installed& inst : installed_) {
    if (inst.ike_sa != ike_sa) continue;
    any = true;
    if (auto r = move(inst, to); !r) return r;
  }
  if (!any)
    return make_error(Errc::not_found, "ike_sa",
                      "IKE SA " + std::to_string(ike_sa) + " has no Child SA installed");
  return {};
}

// One pair to new outer endpoints (RFC 4555 3.5, RFC 7296 2.23), in the order that
// never leaves its traffic without a policy: states under a new (dst, SPI) beside the
// old ones, states under the same key replaced, the policies updated in place, then
// the old states go. A refused new state before anything was replaced leaves the pair
// as it was.
Result<void> XfrmDataplane::move(Installed& inst, const OuterEndpoints& to) {
  ChildSaSpec spec = inst.spec;
  spec.local = to.local;
  spec.remote = to.remote;
  spec.local_port = to.local_port;
  spec.remote_port = to.remote_port;
  spec.udp_encap = to.udp_encap; // RFC 4555 3.5: XFRMA_ENCAP as the new path needs it
  esp::SaSelectors sel = selectors(spec);
  if (auto c = spd_.conflict(inst.ike_sa, sel))
    return make_error(Errc::bad_value, "remote",
                      "moved, the selectors " + esp::to_string(sel) +
                          " would overlap those of the Child SA with inbound SPI " +
                          to_hex_u32(*c) + " of another IKE SA");
  auto p = plan(spec, inst.reqid, options_.mark, options_.if_id);
  if (!p) return p.error();
  const XfrmSaId old_in = inst.in, old_out = inst.out;
  const XfrmSaId new_in{p->sa_in.src, p->sa_in.dst, p->sa_in.spi, options_.mark};
  const XfrmSaId new_out{p->sa_out.src, p->sa_out.dst, p->sa_out.spi, options_.mark};
  const bool in_kept = old_in.dst == new_in.dst, out_kept = old_out.dst == new_out.dst;
  if (!in_kept)
    if (auto r = nl_->add_sa(p->sa_in); !r) return Error(r.error()).within("in");
  if (!out_kept)
    if (auto r = nl_->add_sa(p->sa_out); !r) {
      if (!in_kept) (void)nl_->delete_sa(new_in);
      return Error(r.error()).within("out");
    }
  Result<void> first;
  auto keep = [&](const Result<void>& r) {
    if (!r && first) first = r;
  };
  // The kernel has no UPDSA for a new source address: delete, add (a moment without
  // the state, its packets dropped by the policy, never in clear).
  auto replace = [&](const XfrmSaId& old, const XfrmSa& sa, bool& added, const char* field) {
    if (added) keep(nl_->delete_sa(old));
    auto r = nl_->add_sa(sa);
    added = bool(r);
    if (!r) keep(Error(r.error()).within(field));
  };
  bool old_in_added = inst.in_added, old_out_added = inst.out_added;
  if (in_kept)
    replace(old_in, p->sa_in, inst.in_added, "in");
  else
    inst.in_added = true;
  if (out_kept)
    replace(old_out, p->sa_out, inst.out_added, "out");
  else
    inst.out_added = true;
  inst.in = new_in;
  inst.out = new_out;
  keep(move_policies(inst, p->policies));
  if (!out_kept && old_out_added) keep(nl_->delete_sa(old_out));
  if (!in_kept && old_in_added) keep(nl_->delete_sa(old_in));
  if (!(sel == selectors(inst.spec))) {
    spd_.remove(inst.spi_in);
    spd_.add(inst.spi_in, inst.ike_sa, sel);
  }
  inst.spec = std::move(spec);
  return first;
}

// Every policy of the moved pair is updated in place (UPDPOLICY adds one the kernel
// does not hold yet: new host selectors); one it no longer needs goes unless another
// pair still uses it.
Result<void> XfrmDataplane::move_policies(Installed& inst,
                                          const std::vector<XfrmPolicy>& policies) {
  Result<void> first;
  std::vector<XfrmPolicy> old = std::move(inst.policies);
  inst.policies.clear();
  for (const XfrmPolicy& pol : policies) {
    auto r = nl_->update_policy(pol);
    if (!r && first) first = r;
    if (r) inst.policies.push_back(pol);
  }
  for (const XfrmPolicy& pol : old) {
    bool kept = std::any_of(policies.begin(), policies.end(), [&](const XfrmPolicy& q) {
      return q.sel == pol.sel && q.dir == pol.dir;
    });
    if (kept || policy_in_use(pol, &inst)) continue;
    auto r = nl_->delete_policy(XfrmPolicyId{pol.sel, pol.dir, pol.mark, pol.if_id});
    if (!r && first) first = r;
  }
  return first;
}

// A policy no installed pair has yet is added; one another pair uses (the pair this
// one rekeys, or another Child SA of the same IKE SA with the same selectors) is
// taken over with XFRM_MSG_UPDPOLICY: it exists at every moment.
Result<void> XfrmDataplane::install_policies(Installed& inst,
                                             const std::vector<XfrmPolicy>& policies) {
  for (const XfrmPolicy& pol : policies) {
    bool shared = policy_in_use(pol, &inst) != nullptr;
    auto r = shared ? nl_->update_policy(pol) : nl_->add_policy(pol);
    if (!r) return r;
    inst.policies.push_back(pol);
  }
  return {};
}

Result<void> XfrmDataplane::remove(Installed& inst) {
  Result<void> first;
  auto keep = [&](const Result<void>& r) {
    if (!r && first) first = r;
  };
  // A policy another pair still uses stays (pointed back at that pair if it names
  // another template); the others go before the states, so no policy ever names a
  // state that is gone.
  for (const XfrmPolicy& pol : inst.policies) {
    const XfrmPolicy* other = policy_in_use(pol, &inst);
    if (!other)
      keep(nl_->delete_policy(XfrmPolicyId{pol.sel, pol.dir, pol.mark, pol.if_id}));
    else if (other->tmpl != pol.tmpl)
      keep(nl_->update_policy(*other));
  }
  inst.policies.clear();
  if (inst.out_added) keep(nl_->delete_sa(inst.out));
  if (inst.in_added) keep(nl_->delete_sa(inst.in));
  inst.out_added = inst.in_added = false;
  return first;
}

Result<void> XfrmDataplane::remove_child_sa(uint32_t spi_in) {
  for (size_t i = 0; i < installed_.size(); ++i)
    if (installed_[i].spi_in == spi_in) {
      auto r = remove(installed_[i]);
      installed_.erase(installed_.begin() + long(i));
      spd_.remove(spi_in);
      return r;
    }
  return make_error(Errc::not_found, "spi_in",
                    "no Child SA with inbound SPI " + to_hex_u32(spi_in));
}

Result<void> XfrmDataplane::remove_all() {
  Result<void> first;
  while (!installed_.empty()) {
    auto r = remove(installed_.back());
    if (!r && first) first = r;
    spd_.remove(installed_.back().spi_in);
    installed_.pop_back();
  }
  return first;
}

Result<DataplaneStats> XfrmDataplane::stats() {
  DataplaneStats s = retired_;
  for (const Installed& inst : installed_) {
    auto in = nl_->sa_counters(inst.in);
    if (!in) return in.error();
    s.in.packets += in->packets;
    s.in.bytes += in->bytes;
    s.in.replay += in->replay_drops;
    s.in.too_old += in->replay_window_drops;
    s.in.bad_icv += in->integrity_failed;
    auto out = nl_->sa_counters(inst.out);
    if (!out) return out.error();
    s.out.packets += out->packets;
    s.out.bytes += out->bytes;
  }
  return s;
}

Result<ChildSaCounters> XfrmDataplane::child_sa_counters(uint32_t spi_in) {
  for (const Installed& inst : installed_) {
    if (inst.spi_in != spi_in) continue;
    auto in = nl_->sa_counters(inst.in);
    if (!in) return in.error();
    auto out = nl_->sa_counters(inst.out);
    if (!out) return out.error();
    // The kernel keeps only a state's first-use time (curlft.use_time), not its last:
    // last_used_ns stays 0 (unknown).
    return ChildSaCounters{in->bytes, in->packets, out->bytes, out->packets, 0};
  }
  return make_error(Errc::not_found, "spi_in",
                    "no Child SA with inbound SPI " + to_hex_u32(spi_in));
}

} // namespace ikekit::io::dataplane
