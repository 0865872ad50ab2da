#include "bench/roam_netns.hpp"

#include "bench/process.hpp"

#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;

// One /27 per PID in 10.253.0.0/16 (outer) and 10.254.0.0/16 (inner); see the header.
std::string address(const char* net, unsigned offset) {
  unsigned idx = unsigned(getpid()) % 2048;
  return std::string(net) + std::to_string(idx >> 3) + "." +
         std::to_string((idx & 7) * 32 + offset);
}
IpAddress outer(unsigned offset) { return *IpAddress::parse(address("10.253.", offset)); }

struct Link {
  std::string ns_a, dev_a, addr_a, ns_b, dev_b, addr_b; // addresses with their /30
};

void add_link(std::vector<Command>& steps, const Link& l) {
  steps.push_back({"ip", "link", "add", l.dev_a, "netns", l.ns_a, "type", "veth", "peer", "name",
                   l.dev_b, "netns", l.ns_b});
  steps.push_back({"ip", "-n", l.ns_a, "addr", "add", l.addr_a, "dev", l.dev_a});
  steps.push_back({"ip", "-n", l.ns_b, "addr", "add", l.addr_b, "dev", l.dev_b});
  steps.push_back({"ip", "-n", l.ns_a, "link", "set", l.dev_a, "up"});
  steps.push_back({"ip", "-n", l.ns_b, "link", "set", l.dev_b, "up"});
}

// A NAT router: forwarding on, the server's side as its default route, and everything
// leaving there masqueraded to its outside address (RFC 3022 NAPT).
void add_nat(std::vector<Command>& steps, const std::string& ns, const std::string& outside_dev,
             const std::string& server_side) {
  steps.push_back(in_netns(ns, {"sysctl", "-qw", "net.ipv4.ip_forward=1"}));
  steps.push_back({"ip", "-n", ns, "route", "add", "default", "via", server_side});
  steps.push_back(in_netns(ns, {"nft", "add", "table", "ip", "ikb_nat"}));
  steps.push_back(in_netns(ns, {"nft", "add", "chain", "ip", "ikb_nat", "post",
                                "{ type nat hook postrouting priority srcnat; policy accept; }"}));
  steps.push_back(in_netns(
      ns, {"nft", "add", "rule", "ip", "ikb_nat", "post", "oifname", outside_dev, "masquerade"}));
}

} // namespace

RoamTopology::RoamTopology(RoamTopology&& o) noexcept
    : client_(std::move(o.client_)), server_(std::move(o.server_)), nat_a_(std::move(o.nat_a_)),
      nat_b_(std::move(o.nat_b_)), link_b_(std::move(o.link_b_)), client_b_(o.client_b_),
      nat_a_in_(o.nat_a_in_), nat_b_in_(o.nat_b_in_), nat_a_out_(o.nat_a_out_),
      nat_b_out_(o.nat_b_out_), created_(o.created_) {
  o.created_ = false;
}

Result<RoamTopology> RoamTopology::create() {
  if (geteuid() != 0)
    return make_error(Errc::environment, "netns",
                      "needs root (CAP_NET_ADMIN) to create network namespaces");
  if (!find_program("nft"))
    return make_error(Errc::environment, "netns",
                      "nft is not installed (Debian package nftables): the NAT routers need it");
  RoamTopology t;
  const std::string id = std::to_string(getpid()), p = "ikr" + id;
  t.client_ = {"ikr-" + id + "-c", p + "ca", outer(1), *IpAddress::parse(address("10.254.", 1))};
  t.server_ = {"ikr-" + id + "-s", p + "sa", outer(17), *IpAddress::parse(address("10.254.", 2))};
  t.nat_a_ = "ikr-" + id + "-a";
  t.nat_b_ = "ikr-" + id + "-b";
  t.link_b_ = p + "cb";
  t.client_b_ = outer(5);
  t.nat_a_in_ = outer(2);
  t.nat_b_in_ = outer(6);
  t.nat_a_out_ = outer(9);
  t.nat_b_out_ = outer(13);
  const std::string c = t.client_.ns, s = t.server_.ns;
  for (const auto& ns : t.names()) {
    if (auto r = add_namespace(ns); !r) return r.error();
    t.created_ = true; // from here on the destructor removes what exists
  }
  auto a = [](unsigned off) { return outer(off).to_string() + "/30"; };
  std::vector<Command> steps;
  add_link(steps, {c, t.client_.veth, a(1), t.nat_a_, p + "ac", a(2)});
  add_link(steps, {c, t.link_b_, a(5), t.nat_b_, p + "bc", a(6)});
  add_link(steps, {t.nat_a_, p + "as", a(9), s, t.server_.veth, a(10)});
  add_link(steps, {t.nat_b_, p + "bs", a(13), s, p + "sb", a(14)});
  add_nat(steps, t.nat_a_, p + "as", outer(10).to_string());
  add_nat(steps, t.nat_b_, p + "bs", outer(14).to_string());
  steps.push_back({"ip", "-n", s, "addr", "add", t.server_.outer.to_string() + "/32", "dev", "lo"});
  steps.push_back({"ip", "-n", c, "route", "add", "default", "via", t.nat_a_in_.to_string()});
  for (const auto& step : steps)
    if (auto r = run_checked(step, "netns"); !r) return r.error();
  auto up = wait_links_up({{c, t.client_.veth},
                           {c, t.link_b_},
                           {t.nat_a_, p + "ac"},
                           {t.nat_b_, p + "bc"},
                           {t.nat_a_, p + "as"},
                           {t.nat_b_, p + "bs"},
                           {s, t.server_.veth},
                           {s, p + "sb"}});
  if (!up) return up.error();
  return t;
}

Result<void> RoamTopology::move_to_b() const {
  const std::string batch = "addr del " + client_.outer.to_string() + "/30 dev " + client_.veth +
                            "\nroute replace default via " + nat_b_in_.to_string() + " dev " +
                            link_b_ + "\n";
  auto r = run_checked({"ip", "-n", client_.ns, "-batch", "-"}, "move", milliseconds(5000), batch);
  if (!r) return r.error();
  return {};
}

void RoamTopology::destroy() {
  if (!created_) return;
  created_ = false;
  delete_namespaces(names());
}

} // namespace ikekit::bench
