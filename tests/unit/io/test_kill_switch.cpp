// The kill switch's nftables rules (io/kill_switch.hpp): the script as text, and, as
// root, installed, replaced and removed through libnftables in a private network
// namespace of a child process (never in the namespace the tests run in).
#include "io/kill_switch.hpp"
#include "require_all.hpp"

#include <catch2/catch.hpp>
#include <sched.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::io;

namespace {

KillSwitchConfig config() {
  KillSwitchConfig c;
  c.servers = {*IpAddress::parse("192.0.2.10"), *IpAddress::parse("2001:db8::10")};
  c.ike_ports = {500, 4500, 4500};
  c.tunnel_device = "ike0";
  return c;
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Runs `body` in a child process inside a new network namespace; its exit code is
// the number of failed checks (Catch2 cannot report from the child).
int in_private_netns(int (*body)()) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(100);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

} // namespace

TEST_CASE("kill switch: the script replaces the table in one batch and drops by default",
          "[kill_switch]") {
  std::string s = kill_switch_ruleset(config());
  // add + delete + define: no instant without the table, no error if it was absent.
  CHECK(s.rfind("add table inet ikekit_kill_switch\ndelete table inet ikekit_kill_switch\n"
                "table inet ikekit_kill_switch {",
                0) == 0);
  CHECK(has(s, "hook output priority filter - 10; policy drop;"));
  CHECK(has(s, "hook input priority filter - 10; policy drop;"));
  // IKE and ESP to and from the servers only, each family on its own; ports once each.
  CHECK(has(s, "ip daddr { 192.0.2.10 } udp dport { 500, 4500 } accept"));
  CHECK(has(s, "ip6 daddr { 2001:db8::10 } udp dport { 500, 4500 } accept"));
  CHECK(has(s, "ip saddr { 192.0.2.10 } udp sport { 500, 4500 } accept"));
  CHECK(has(s, "ip daddr { 192.0.2.10 } meta l4proto esp accept"));
  CHECK(has(s, "oifname \"ike0\" accept"));
  CHECK(has(s, "iifname \"ike0\" accept"));
  CHECK(has(s, "oifname \"lo\" accept"));
  CHECK(has(s, "rt ipsec exists accept"));
  CHECK(has(s, "meta secpath exists accept"));
  CHECK_FALSE(has(s, "10.0.0.0/8")); // the LAN only with allow_lan
  KillSwitchConfig lan = config();
  lan.allow_lan = true;
  lan.tunnel_device.clear();
  std::string l = kill_switch_ruleset(lan);
  CHECK(has(l, "ip daddr { 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"));
  CHECK(has(l, "ip6 saddr { fe80::/10, fc00::/7, ff00::/8 } accept"));
  CHECK_FALSE(has(l, "ifname \"\""));
}

TEST_CASE("kill switch: our own MLD reports leave, a link-local router's queries come in "
          "(hop limit 1, ff02::/16), nothing else of MLD",
          "[kill_switch]") {
  std::string s = kill_switch_ruleset(config());
  size_t in = s.find("chain input");
  REQUIRE(in != std::string::npos);
  std::string output = s.substr(0, in), input = s.substr(in);
  // Without it a switch that snoops MLD stops forwarding our solicited-node groups.
  CHECK(has(output, "ip6 saddr { ::, fe80::/10 } ip6 daddr ff02::/16 ip6 hoplimit 1 icmpv6 type "
                    "{ mld-listener-report, mld-listener-done, mld2-listener-report } accept"));
  CHECK_FALSE(has(output, "mld-listener-query"));
  // Unanswered queries would let the switch's membership expire (RFC 3810 9.4: 260 s).
  CHECK(has(input, "ip6 saddr fe80::/10 ip6 daddr ff02::/16 ip6 hoplimit 1 icmpv6 type "
                   "mld-listener-query accept"));
  CHECK_FALSE(has(input, "mld-listener-report"));
  CHECK_FALSE(has(input, "mld2-listener-report"));
}

TEST_CASE("kill switch: no server is a usage error naming the field", "[kill_switch]") {
  auto k = KillSwitch::install(KillSwitchConfig{});
  REQUIRE_FALSE(k);
  CHECK(k.error().field == "kill_switch.servers");
}

TEST_CASE("kill switch: installed, replaced after a 'crash', removed on destruction (private "
          "netns)",
          "[kill_switch]") {
  if (::geteuid() != 0) SKIP_OR_FAIL("needs root for a private network namespace and nftables");
  int failed = in_private_netns([]() -> int {
    int bad = 0;
    auto listed = []() { return run_nft("list table inet ikekit_kill_switch"); };
    {
      auto k = KillSwitch::install(config());
      if (!k) return 50;
      bad += k->replaced_stale();
      auto l = listed();
      bad += !l || !has(*l, "policy drop") || !has(*l, "192.0.2.10") || !has(*l, "ike0");
      // A second install (the next start after a crash) replaces the table.
      auto again = KillSwitch::install(config());
      if (!again) return 51;
      bad += !again->replaced_stale();
      (void)k->remove(); // ikectl kill-switch off
      bad += k->active();
      bad += listed().has_value();         // gone, also for `again`
      bad += !again->remove().has_value(); // removing what is gone is not an error
    }
    auto k2 = KillSwitch::install(config());
    if (!k2) return 52;
    { KillSwitch moved = std::move(*k2); }
    bad += listed().has_value(); // the destructor removed it
    return bad;
  });
  CHECK(failed == 0);
}
