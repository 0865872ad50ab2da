// --dns-apply's file method (io::DnsApplier) in a temp dir: resolv.conf rewritten in
// place and restored byte for byte, the state file 0600 while applied, a stale state of
// a dead run repaired, a file someone else changed left alone; the method choice; and
// IkeUpEvents applying with child_sa_up and restoring with the last child_sa_down.
#include "io/dns_apply.hpp"
#include "io/ike_up_events.hpp"
#include "ip_literal.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ikekit;
using ikekit::test::ip;
namespace fs = std::filesystem;

namespace {

struct TempDns {
  fs::path dir;
  io::DnsPaths paths;
  // CRLF, no final newline, a comment and options: all must come back as they were.
  std::string original = "# ISP\r\nnameserver 192.0.2.53\r\noptions edns0\nsearch isp.example";
  TempDns() {
    dir = fs::temp_directory_path() / ("ikekit-dns-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "run");
    paths.resolv_conf = (dir / "resolv.conf").string();
    paths.state_dir = (dir / "run" / "ikekit").string();
    paths.resolved_dir = (dir / "run" / "systemd-resolve").string();
    paths.mountinfo = (dir / "mountinfo").string();
    write(original);
    std::ofstream(paths.mountinfo) << "22 1 0:21 / /proc rw - proc proc rw\n";
  }
  ~TempDns() { fs::remove_all(dir); }
  void write(const std::string& text) const { std::ofstream(paths.resolv_conf) << text; }
  std::string read() const {
    std::ifstream in(paths.resolv_conf, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  ino_t inode() const {
    struct stat st {};
    ::stat(paths.resolv_conf.c_str(), &st);
    return st.st_ino;
  }
  std::vector<fs::path> states() const {
    std::vector<fs::path> v;
    if (fs::exists(paths.state_dir))
      for (const auto& e : fs::directory_iterator(paths.state_dir))
        v.push_back(e.path());
    return v;
  }
};

std::vector<IpAddress> ips(std::initializer_list<const char*> texts) {
  std::vector<IpAddress> v;
  for (const char* t : texts)
    v.push_back(ip(t));
  return v;
}

} // namespace

TEST_CASE("DnsApplier file: in place, restored byte for byte, state 0600", "[io][dns]") {
  TempDns t;
  ino_t before = t.inode();
  io::DnsApplier dns(io::DnsMethod::file, t.paths);
  auto stale = dns.repair_stale();
  REQUIRE(stale);
  CHECK(stale->empty());

  auto c = dns.apply(ips({"10.99.0.53", "fd00::53", "10.99.0.54", "10.99.0.55"}), "ike0");
  REQUIRE(c);
  CHECK(c->file == t.paths.resolv_conf);
  CHECK(dns.applied());
  std::string now = t.read();
  // ours first and only (glibc reads three), the ISP's server gone, its options kept
  CHECK(now.find("nameserver 10.99.0.53\nnameserver fd00::53\nnameserver 10.99.0.54\n") !=
        std::string::npos);
  CHECK(now.find("10.99.0.55") == std::string::npos);
  CHECK(now.find("192.0.2.53") == std::string::npos);
  CHECK(now.find("options edns0") != std::string::npos);
  CHECK(t.inode() == before); // rewritten in place, not renamed over
  auto states = t.states();
  REQUIRE(states.size() == 1);
  CHECK((fs::status(states[0]).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));

  json::Json j = io::dns_change_json(*c, true, "t");
  CHECK(j["type"] == "dns_applied");
  CHECK(j["method"] == "file");
  CHECK(j["servers"].size() == 4);
  CHECK(j["link"].is_null());

  auto r = dns.restore("exit");
  REQUIRE(r);
  REQUIRE(*r);
  CHECK((*r)->reason == "exit");
  CHECK_FALSE((*r)->file_changed);
  CHECK(t.read() == t.original);
  CHECK(t.inode() == before);
  CHECK(t.states().empty());
  CHECK_FALSE(dns.applied());
  auto again = dns.restore("exit");
  REQUIRE(again);
  CHECK_FALSE(*again);
}

TEST_CASE("DnsApplier file: a live run's state is kept, a dead run's repaired", "[io][dns]") {
  TempDns t;
  {
    io::DnsApplier live(io::DnsMethod::file, t.paths);
    REQUIRE(live.apply(ips({"10.99.0.53"}), ""));
    // While its owner runs, the state is not stale and a second applier keeps out.
    io::DnsApplier other(io::DnsMethod::file, t.paths);
    auto none = other.repair_stale();
    REQUIRE(none);
    CHECK(none->empty());
    auto refused = other.apply(ips({"10.99.0.54"}), "");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::environment);
  }
  CHECK(t.read() == t.original); // the destructor restored
  // A child applies and ends without destructors, as SIGKILL would end ike-up.
  pid_t child = ::fork();
  if (child == 0) {
    io::DnsApplier crashed(io::DnsMethod::file, t.paths);
    ::_exit(crashed.apply(ips({"10.99.0.53"}), "") ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(t.read() != t.original);
  io::DnsApplier next(io::DnsMethod::file, t.paths);
  auto repaired = next.repair_stale();
  REQUIRE(repaired);
  REQUIRE(repaired->size() == 1);
  CHECK((*repaired)[0].reason == "stale_state");
  CHECK((*repaired)[0].stale_pid == child);
  CHECK_FALSE((*repaired)[0].file_changed);
  CHECK(t.read() == t.original);
  CHECK(t.states().empty());
  json::Json j = io::dns_change_json((*repaired)[0], false, "t");
  CHECK(j["type"] == "dns_restored");
  CHECK(j["reason"] == "stale_state");
  CHECK(j["servers"] == json::Json::array({"10.99.0.53"}));
}

TEST_CASE("DnsApplier file: a file changed since is left as it is", "[io][dns]") {
  TempDns t;
  io::DnsApplier dns(io::DnsMethod::file, t.paths);
  REQUIRE(dns.apply(ips({"10.99.0.53"}), ""));
  t.write("nameserver 198.51.100.1\n"); // a DHCP client wrote a new lease's server
  auto r = dns.restore("child_sa_down");
  REQUIRE(r);
  REQUIRE(*r);
  CHECK((*r)->file_changed);
  CHECK(t.read() == "nameserver 198.51.100.1\n");
  CHECK(t.states().empty());
}

TEST_CASE("choose_dns_method: auto, a namespace's file, unavailable methods", "[io][dns]") {
  TempDns t;
  std::string old_path = getenv("PATH");
  setenv("PATH", t.dir.c_str(), 1); // no resolvectl, no resolvconf
  auto m = io::choose_dns_method({}, t.paths);
  REQUIRE(m);
  CHECK(*m == io::DnsMethod::file);
  auto r = io::choose_dns_method({io::DnsMethod::resolved}, t.paths);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::environment);
  CHECK(r.error().field == "--dns-apply");
  // systemd-resolved's directory and stub, with resolvectl present: auto picks it...
  fs::create_directories(t.paths.resolved_dir);
  t.write("nameserver 127.0.0.53\noptions edns0 trust-ad\n");
  std::ofstream(t.dir / "resolvectl") << "#!/bin/sh\n";
  fs::permissions(t.dir / "resolvectl", fs::perms::owner_all);
  m = io::choose_dns_method({}, t.paths);
  REQUIRE(m);
  CHECK(*m == io::DnsMethod::resolved);
  // ...unless resolv.conf is a mount point (ip netns exec): then the namespace's file.
  std::ofstream(t.paths.mountinfo, std::ios::app)
      << "500 27 254:1 /etc/netns/c/resolv.conf " << t.paths.resolv_conf << " rw - ext4 x rw\n";
  m = io::choose_dns_method({}, t.paths);
  REQUIRE(m);
  CHECK(*m == io::DnsMethod::file);
  r = io::choose_dns_method({io::DnsMethod::resolvconf}, t.paths);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("resolvconf is not installed") != std::string::npos);
  CHECK(io::dns_method_from_name("resolvconf") == io::DnsMethod::resolvconf);
  CHECK_FALSE(io::dns_method_from_name("auto")); // a request, not a method
  CHECK_FALSE(io::dns_method_from_name("bind"));
  setenv("PATH", old_path.c_str(), 1);
}

TEST_CASE("dns_outside_tunnel: servers the remote selectors do not carry DNS to", "[io][dns]") {
  auto ts = [](std::initializer_list<const char*> texts) {
    std::vector<ike::TsSpec> v;
    for (const char* t : texts)
      v.push_back(*ike::TsSpec::parse(t));
    return v;
  };
  auto servers = ips({"10.1.0.53", "10.99.0.53", "fd00::53"});
  CHECK(io::dns_outside_tunnel(servers, ts({"10.1.0.0/24"})) == ips({"10.99.0.53", "fd00::53"}));
  CHECK(io::dns_outside_tunnel(servers, ts({"0.0.0.0/0", "::/0"})).empty());
  // a selector for TCP only, or for other ports, carries no DNS over UDP
  CHECK(io::dns_outside_tunnel(ips({"10.1.0.53"}), ts({"10.1.0.0/24[tcp]"})) == ips({"10.1.0.53"}));
  CHECK(io::dns_outside_tunnel(ips({"10.1.0.53"}), ts({"10.1.0.0/24[udp/53]"})).empty());
  CHECK(io::dns_outside_tunnel(ips({"10.1.0.53"}), ts({"10.1.0.0/24[udp/1000-2000]"})) ==
        ips({"10.1.0.53"}));
}

TEST_CASE("IkeUpEvents: DNS applied with the Child SA, kept over a rekey, restored after",
          "[io][dns][ike_up]") {
  TempDns t;
  std::ostringstream text;
  json::JsonOutput out(text, false);
  io::IkeUpEvents events(out, std::nullopt, {"home"}, 0, "ike-up");
  REQUIRE(events.use_dns(io::DnsRequest{io::DnsMethod::file}, t.paths));
  CHECK(events.dns_apply_json() == "file");
  REQUIRE(events.repair_stale_dns()); // nothing stale: no line
  CHECK(text.str().empty());

  ike::ChildSaUp up;
  up.peer = "home";
  up.spi_in = 1;
  up.dns = ips({"10.99.0.53"});
  up.remote_ts = {*ike::TsSpec::parse("10.99.0.0/24")};
  events.on_event(up);
  CHECK(t.read() != t.original);
  CHECK(text.str().find("\"type\":\"dns_applied\"") != std::string::npos);
  CHECK(text.str().find("\"outside_tunnel\":[]") != std::string::npos);
  ike::ChildSaUp rekeyed = up;
  rekeyed.spi_in = 2;
  rekeyed.rekeyed_spi_in = 1;
  events.on_event(rekeyed);
  ike::ChildSaDown old;
  old.peer = "home";
  old.spi_in = 1;
  old.reason = ike::DownReason::rekeyed;
  events.on_event(old);
  CHECK(t.read() != t.original); // the rekeyed SA still carries the servers
  CHECK(text.str().find("dns_restored") == std::string::npos);
  ike::ChildSaDown last = old;
  last.spi_in = 2;
  last.reason = ike::DownReason::deleted_by_peer;
  events.on_event(last);
  CHECK(t.read() == t.original);
  CHECK(text.str().find("\"type\":\"dns_restored\"") != std::string::npos);
  CHECK(text.str().find("\"reason\":\"child_sa_down\"") != std::string::npos);
}

// systemd-resolved and resolvconf do not run here: stand-in programs on PATH record the
// command lines (and stdin) the applier runs, so the commands, the state file and the
// stale repair are checked; the real daemons are not.
TEST_CASE("DnsApplier resolved and resolvconf: commands, state, stale repair", "[io][dns]") {
  TempDns t;
  auto open_fds = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
  };
  const auto fds_before = open_fds();
  std::string log = (t.dir / "commands.log").string();
  for (const char* name : {"resolvectl", "resolvconf"}) {
    std::ofstream(t.dir / name) << "#!/bin/sh\necho \"" << name << " $*\" >> " << log
                                << "\ncat | sed 's/^/  /' >> " << log
                                << "\n[ \"$2\" = fail0 ] && { echo 'no such link' >&2; exit 1; }"
                                   "\nexit 0\n";
    fs::permissions(t.dir / name, fs::perms::owner_all);
  }
  std::string old_path = getenv("PATH");
  setenv("PATH", (t.dir.string() + ":" + old_path).c_str(), 1);
  auto commands = [&] {
    std::ifstream in(log);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(log);
    return s;
  };

  REQUIRE(io::choose_dns_method({io::DnsMethod::resolvconf}, t.paths));
  io::DnsApplier rc(io::DnsMethod::resolvconf, t.paths);
  auto c = rc.apply(ips({"10.99.0.53", "fd00::53"}), "ike0");
  REQUIRE(c);
  CHECK(c->link == "tun.ike0");
  CHECK(commands() == "resolvconf -a tun.ike0\n  nameserver 10.99.0.53\n  nameserver fd00::53\n");
  REQUIRE(t.states().size() == 1);
  CHECK(t.states()[0].filename() == "dns-resolvconf-tun.ike0.state");
  REQUIRE(rc.restore("exit"));
  CHECK(commands() == "resolvconf -d tun.ike0\n");
  CHECK(t.states().empty());
  CHECK(t.read() == t.original); // never touched by these methods

  io::DnsApplier rd(io::DnsMethod::resolved, t.paths);
  REQUIRE_FALSE(rd.apply(ips({"10.99.0.53"}), "")); // no link (XFRM data plane)
  auto failed = rd.apply(ips({"10.99.0.53"}), "fail0");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("resolvectl dns fail0 10.99.0.53 failed: no such link") !=
        std::string::npos);
  CHECK(t.states().empty()); // nothing left behind by a failed apply
  commands();
  pid_t child = ::fork();
  if (child == 0) { // applies and dies without restoring, as SIGKILL would end ike-up
    io::DnsApplier crashed(io::DnsMethod::resolved, t.paths);
    ::_exit(crashed.apply(ips({"10.99.0.53"}), "ike0") ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(commands() == "resolvectl dns ike0 10.99.0.53\nresolvectl domain ike0 ~.\n"
                      "resolvectl default-route ike0 yes\n");
  auto repaired = rd.repair_stale();
  REQUIRE(repaired);
  REQUIRE(repaired->size() == 1);
  CHECK((*repaired)[0].link == "ike0");
  CHECK((*repaired)[0].stale_pid == child);
  CHECK(commands() == "resolvectl revert ike0\n");
  CHECK(t.states().empty());
  CHECK(open_fds() == fds_before); // the pipes of every command, failed ones too, closed
  setenv("PATH", old_path.c_str(), 1);
}
