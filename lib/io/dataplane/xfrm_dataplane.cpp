#include "io/dataplane/xfrm_dataplane.hpp"

#include "base/hex.hpp"
#include "io/netlink_socket.hpp" // errno_text

#include <cerrno>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
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

XfrmDataplane::Plan XfrmDataplane::plan(const ChildSaSpec& spec,
                                        const std::optional<XfrmMark>& mark,
                                        const std::optional<uint32_t>& if_id) {
  Plan p;
  uint32_t reqid = spec.reqid ? spec.reqid : spec.in.spi;
  p.sa_in = make_sa(spec.in, spec.remote, spec.local, spec, reqid, spec.remote_port,
                    spec.local_port, true, mark, if_id);
  p.sa_out = make_sa(spec.out, spec.local, spec.remote, spec, reqid, spec.local_port,
                     spec.remote_port, false, mark, if_id);
  // Without selectors the SA protects traffic between the endpoints themselves.
  std::vector<Prefix> lts = spec.local_ts, rts = spec.remote_ts;
  if (lts.empty()) lts.push_back(Prefix::host(spec.local));
  if (rts.empty()) rts.push_back(Prefix::host(spec.remote));
  XfrmMode mode = p.sa_in.mode;
  for (const Prefix& l : lts)
    for (const Prefix& r : rts) {
      if (l.addr.family() != r.addr.family()) continue;
      // RFC 4301 4.4.1: outbound local -> remote; inbound (and forwarded, tunnel mode)
      // remote -> local, each requiring this SA's template.
      XfrmPolicy out;
      out.sel = XfrmSelector{l, r, 0, 0, 0};
      out.dir = XfrmDir::out;
      out.tmpl = XfrmTemplate{spec.local, spec.remote, reqid, mode};
      out.mark = mark;
      out.if_id = if_id;
      p.policies.push_back(out);
      XfrmPolicy in = out;
      in.sel = XfrmSelector{r, l, 0, 0, 0};
      in.dir = XfrmDir::in;
      in.tmpl = XfrmTemplate{spec.remote, spec.local, reqid, mode};
      p.policies.push_back(in);
      if (mode == XfrmMode::tunnel) {
        XfrmPolicy fwd = in;
        fwd.dir = XfrmDir::fwd;
        p.policies.push_back(fwd);
      }
    }
  return p;
}

Result<XfrmDataplane> XfrmDataplane::open(const XfrmDataplaneOptions& o) {
  auto nl = XfrmNetlink::open();
  if (!nl) return nl.error();
  XfrmDataplane dp(std::move(*nl), o);
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

Result<void> XfrmDataplane::install_child_sa(const ChildSaSpec& spec) {
  if (auto v = validate_child_sa(spec); !v) return v.error();
  for (const auto* k : {&spec.in, &spec.out})
    for (const auto* t : {k->encr, k->integ})
      if (t && xfrm_algorithm_name(*t).empty())
        return make_error(Errc::unsupported, k == &spec.in ? "in.encr" : "out.encr",
                          std::string(t->keyword) + " has no kernel XFRM algorithm");
  Plan p = plan(spec, options_.mark, options_.if_id);
  Installed inst;
  inst.spi_in = spec.in.spi;
  inst.in = XfrmSaId{p.sa_in.src, p.sa_in.dst, p.sa_in.spi, options_.mark};
  inst.out = XfrmSaId{p.sa_out.src, p.sa_out.dst, p.sa_out.spi, options_.mark};
  // Inbound first (RFC 7296 2.8), then outbound, then the policies that use them.
  if (auto r = nl_->add_sa(p.sa_in); !r) return Error(r.error()).within("in");
  inst.in_added = true;
  if (auto r = nl_->add_sa(p.sa_out); !r) {
    (void)remove(inst);
    return Error(r.error()).within("out");
  }
  inst.out_added = true;
  for (const XfrmPolicy& pol : p.policies) {
    if (auto r = nl_->add_policy(pol); !r) {
      (void)remove(inst);
      return r.error();
    }
    inst.policies.push_back(XfrmPolicyId{pol.sel, pol.dir, pol.mark, pol.if_id});
  }
  installed_.push_back(std::move(inst));
  return {};
}

Result<void> XfrmDataplane::remove(Installed& inst) {
  Result<void> first;
  auto keep = [&](Result<void> r) {
    if (!r && first) first = r;
  };
  // Policies may be shared with a newer SA pair (rekey): only the last pair's removal
  // deletes them, which is what deleting twice would do anyway (ENOENT ignored).
  for (const XfrmPolicyId& id : inst.policies) {
    bool shared = false;
    for (const Installed& other : installed_)
      if (&other != &inst && other.spi_in != inst.spi_in)
        for (const XfrmPolicyId& o : other.policies)
          if (o.sel.src == id.sel.src && o.sel.dst == id.sel.dst && o.dir == id.dir) shared = true;
    if (!shared) keep(nl_->delete_policy(id));
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
