#include "io/kill_switch.hpp"

#include "base/text.hpp"

#include <memory>
#include <nftables/libnftables.h>
#include <set>
#include <sstream>

namespace ikekit::io {

namespace {

// "{ a, b }" for an nftables anonymous set.
template <typename T, typename F> std::string set_of(const std::vector<T>& v, F text) {
  std::string s = "{ ";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + text(v[i]);
  return s + " }";
}

std::string ports_of(const std::vector<uint16_t>& ports) {
  std::set<uint16_t> unique(ports.begin(), ports.end());
  return set_of(std::vector<uint16_t>(unique.begin(), unique.end()),
                [](uint16_t p) { return std::to_string(p); });
}

// The networks --allow-lan opens: RFC 1918, link-local (RFC 3927, RFC 4291), unique
// local (RFC 4193), multicast and the IPv4 limited broadcast.
constexpr const char* kLan4 =
    "{ 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, 224.0.0.0/4, "
    "255.255.255.255 }";
constexpr const char* kLan6 = "{ fe80::/10, fc00::/7, ff00::/8 }";

// One direction's rules. `dir` is "daddr"/"dport" for output, "saddr"/"sport" for input.
void direction_rules(std::ostringstream& o, const KillSwitchConfig& c, bool out) {
  const char* addr = out ? "daddr" : "saddr";
  const char* port = out ? "dport" : "sport";
  const char* ifname = out ? "oifname" : "iifname";
  o << "    " << ifname << " \"lo\" accept\n";
  if (!c.tunnel_device.empty()) o << "    " << ifname << " \"" << c.tunnel_device << "\" accept\n";
  std::vector<IpAddress> v4, v6;
  for (const auto& s : c.servers)
    (s.is_v4() ? v4 : v6).push_back(s);
  auto text = [](const IpAddress& a) { return a.to_string(); };
  // IKE and UDP-encapsulated ESP (RFC 3948), and plain ESP (RFC 4303, protocol 50).
  if (!v4.empty()) {
    o << "    ip " << addr << " " << set_of(v4, text) << " udp " << port << " "
      << ports_of(c.ike_ports) << " accept\n";
    o << "    ip " << addr << " " << set_of(v4, text) << " meta l4proto esp accept\n";
  }
  if (!v6.empty()) {
    o << "    ip6 " << addr << " " << set_of(v6, text) << " udp " << port << " "
      << ports_of(c.ike_ports) << " accept\n";
    o << "    ip6 " << addr << " " << set_of(v6, text) << " meta l4proto esp accept\n";
  }
  // XFRM: plaintext a policy will protect (output), or that was decrypted (input).
  o << (out ? "    rt ipsec exists accept\n" : "    meta secpath exists accept\n");
  // What the link itself needs (no user data): IPv6 neighbour and router discovery
  // (RFC 4861), multicast listener discovery, DHCPv4 and DHCPv6 leases.
  o << "    icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
       "nd-neighbor-advert } accept\n";
  // Our MLD reports (RFC 3810 5.2.13: link-local or :: source, hop limit 1, to link-scope
  // multicast) and the router's queries they answer (5.1.14: link-local source): a switch
  // that snoops MLD forwards a group's multicast, the solicited-node groups neighbour
  // discovery needs among them, only to ports that keep reporting it.
  if (out)
    o << "    ip6 saddr { ::, fe80::/10 } ip6 daddr ff02::/16 ip6 hoplimit 1 icmpv6 type { "
         "mld-listener-report, mld-listener-done, mld2-listener-report } accept\n";
  else
    o << "    ip6 saddr fe80::/10 ip6 daddr ff02::/16 ip6 hoplimit 1 icmpv6 type "
         "mld-listener-query accept\n";
  o << (out ? "    udp sport 68 udp dport 67 accept\n    udp sport 546 udp dport 547 accept\n"
            : "    udp sport 67 udp dport 68 accept\n    udp sport 547 udp dport 546 accept\n");
  if (!out) // path MTU and unreachable reports for our own ESP and IKE (no data leaves)
    o << "    icmp type { destination-unreachable, time-exceeded } accept\n"
         "    icmpv6 type { destination-unreachable, packet-too-big, time-exceeded } accept\n";
  if (c.allow_lan) {
    o << "    ip " << addr << " " << kLan4 << " accept\n";
    o << "    ip6 " << addr << " " << kLan6 << " accept\n";
  }
  o << "    counter drop\n";
}

struct NftCtxFree {
  void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};

} // namespace

std::string kill_switch_ruleset(const KillSwitchConfig& c) {
  std::ostringstream o;
  // add + delete + define in one batch: the old table (if any) goes and the new one
  // comes in the same transaction.
  o << "add table inet " << kKillSwitchTable << "\n";
  o << "delete table inet " << kKillSwitchTable << "\n";
  o << "table inet " << kKillSwitchTable << " {\n";
  o << "  chain output {\n    type filter hook output priority filter - 10; policy drop;\n";
  direction_rules(o, c, true);
  o << "  }\n";
  o << "  chain input {\n    type filter hook input priority filter - 10; policy drop;\n";
  direction_rules(o, c, false);
  o << "  }\n}\n";
  return o.str();
}

Result<std::string> run_nft(const std::string& script, bool dry_run) {
  std::unique_ptr<nft_ctx, NftCtxFree> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx)
    return make_error(Errc::environment, "nftables", "libnftables: cannot create a context");
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  nft_ctx_set_dry_run(ctx.get(), dry_run);
  if (nft_run_cmd_from_buffer(ctx.get(), script.c_str()) != 0) {
    return make_error(Errc::environment, "nftables",
                      "nftables refused the rules (needs CAP_NET_ADMIN and nf_tables): " +
                          trim_trailing_space(nft_ctx_get_error_buffer(ctx.get())));
  }
  const char* out = nft_ctx_get_output_buffer(ctx.get());
  return std::string(out ? out : "");
}

Result<KillSwitch> KillSwitch::install(const KillSwitchConfig& c) {
  if (c.servers.empty())
    return make_error(Errc::usage, "kill_switch.servers", "no server address to let IKE through");
  KillSwitch k(c);
  k.replaced_stale_ = run_nft(std::string("list table inet ") + kKillSwitchTable).has_value();
  if (auto r = run_nft(kill_switch_ruleset(c)); !r) return r.error();
  k.active_ = true;
  return k;
}

Result<void> KillSwitch::remove() {
  if (!active_) return {};
  // "add" first: deleting a table someone already removed is not an error here.
  if (auto r = run_nft(std::string("add table inet ") + kKillSwitchTable + "\ndelete table inet " +
                       kKillSwitchTable + "\n");
      !r)
    return r.error();
  active_ = false;
  return {};
}

KillSwitch::KillSwitch(KillSwitch&& o) noexcept
    : config_(std::move(o.config_)), active_(o.active_), replaced_stale_(o.replaced_stale_) {
  o.active_ = false;
}

KillSwitch& KillSwitch::operator=(KillSwitch&& o) noexcept {
  if (this != &o) {
    (void)remove();
    config_ = std::move(o.config_);
    active_ = o.active_;
    replaced_stale_ = o.replaced_stale_;
    o.active_ = false;
  }
  return *this;
}

KillSwitch::~KillSwitch() { (void)remove(); }

} // namespace ikekit::io
