#include "bench/tunnel_peers.hpp"

#include "base/hex.hpp"
#include "base/secret_bytes.hpp"
#include "bench/esp_bench.hpp"
#include "crypto/suite.hpp"
#include "crypto/system_rng.hpp"

#include <chrono>
#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;

const char* kCharon = "/usr/sbin/charon-systemd";
const char* kSwanctl = "/usr/sbin/swanctl";

Error env_missing(const std::string& program, const std::string& package, std::string_view peer) {
  return make_error(Errc::environment, "--peer",
                    std::string(peer) + " needs " + program +
                        ", which is not installed (Debian package " + package + ")");
}

Result<void> need(const std::string& program, const std::string& package, std::string_view peer) {
  if (program.front() == '/') {
    if (access(program.c_str(), X_OK) == 0) return {};
  } else if (find_program(program)) {
    return {};
  }
  return env_missing(program, package, peer);
}

std::string random_hex(size_t n) {
  SecretBytes b(n);
  crypto::SystemRng rng;
  rng.fill(b.reveal_mut());
  return to_hex(b.reveal());
}

uint32_t random_spi(uint8_t top) {
  uint8_t b[3];
  crypto::SystemRng rng;
  rng.fill(MutBytes(b, sizeof b));
  return uint32_t(top) << 24 | uint32_t(b[0]) << 16 | uint32_t(b[1]) << 8 | b[2];
}

// ---- ikekit: esp-tunnel on both ends ------------------------------------------------

Result<RunningTunnel> start_ikekit(const Topology& topo, const PeerOptions& o) {
  auto suite = parse_esp_suite(o.cipher);
  if (!suite) return suite.error();
  const auto& encr = *suite->encr;
  const size_t ekey = size_t(encr.key_len) + encr.salt_len;
  const size_t ikey = suite->integ ? suite->integ->key_len : 0;
  const uint32_t spi_lr = random_spi(0xc1), spi_rl = random_spi(0xc2);
  // An ikekit key log (ikekit-json(7)), as ike-up --keylog writes it: one child_sa line
  // per direction; esp-tunnel --keys picks its inbound and outbound SA by SPI.
  auto line = [&](uint32_t spi, const Side& src, const Side& dst) {
    std::string integ = suite->integ ? "\"" + std::string(suite->integ->keyword) + "\"" : "null";
    std::string integ_key = ikey ? "\"" + random_hex(ikey) + "\"" : "null";
    return "{\"type\":\"child_sa\",\"spi\":\"" + to_hex_u32(spi) + "\",\"src\":\"" + src.outer +
           "\",\"dst\":\"" + dst.outer + "\",\"protocol\":\"esp\",\"encr\":\"" +
           std::string(encr.keyword) + "\",\"integ\":" + integ + ",\"encr_key\":\"" +
           random_hex(ekey) + "\",\"integ_key\":" + integ_key + "}\n";
  };
  const std::string keys = o.work_dir + "/ikekit-keys.jsonl";
  std::string text =
      line(spi_lr, topo.left(), topo.right()) + line(spi_rl, topo.right(), topo.left());
  auto w = write_private_file(keys, text);
  secure_zero(text.data(), text.size());
  if (!w) return w.error();

  RunningTunnel t;
  t.src = topo.left().inner;
  t.dst = topo.right().inner;
  t.cipher = o.cipher;
  t.backend = "tun";
  const std::string tun = "ikbt" + std::to_string(o.pid);
  for (int i = 0; i < 2; ++i) {
    const Side& me = i == 0 ? topo.left() : topo.right();
    const Side& peer = i == 0 ? topo.right() : topo.left();
    uint32_t spi_in = i == 0 ? spi_rl : spi_lr, spi_out = i == 0 ? spi_lr : spi_rl;
    std::string base = o.work_dir + "/esp-tunnel-" + (i == 0 ? "l" : "r");
    auto c = Child::spawn(Topology::in_ns(me.ns, {o.esp_tunnel,
                                                  "--backend",
                                                  "tun",
                                                  "--local",
                                                  me.outer,
                                                  "--remote",
                                                  peer.outer,
                                                  "--spi-in",
                                                  to_hex_u32(spi_in),
                                                  "--spi-out",
                                                  to_hex_u32(spi_out),
                                                  "--keys",
                                                  keys,
                                                  "--keys-are-fresh", // random keys, one run
                                                  "--udp-encap",
                                                  "--port",
                                                  std::to_string(o.port),
                                                  "--tun-name",
                                                  tun,
                                                  "--tun-addr",
                                                  me.inner + "/32",
                                                  "--route",
                                                  peer.inner + "/32"}),
                          base + ".out", base + ".err");
    if (!c) return c.error();
    t.procs.push_back(std::move(*c));
    auto up = wait_for_text(base + ".out", "\"type\":\"started\"", t.procs.back(),
                            milliseconds(5000), "esp-tunnel", base + ".err");
    if (!up) return up.error();
  }
  // The key log is read at start-up; nothing needs it any more.
  unlink(keys.c_str());
  return t;
}

// ---- strongswan: charon-systemd with kernel-libipsec on both ends ---------------------

// One isolated charon per directory, as tests/interop/lib/swan.sh runs it: its own
// strongswan.conf, vici socket and log; nothing global (no /etc/swanctl, /run/charon.*,
// journal). kernel-libipsec must load before kernel-netlink (the first kernel-ipsec
// backend wins; kernel-netlink still does addresses and routes); "kdf" is needed for
// key derivation. kernel-libipsec (5.9) always UDP-encapsulates ESP on 4500.
// Replaces every "@KEY@" in `text`.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [k, v] : vars) {
    const std::string key = "@" + k + "@";
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + v.size()))
      text.replace(at, key.size(), v);
  }
  return text;
}

constexpr const char* kSwanConf = R"(charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 kdf kernel-libipsec kernel-netlink socket-default vici
  port = 500
  port_nat_t = 4500
  retransmit_tries = 3
  install_routes = yes
  plugins {
    vici {
      socket = unix://@DIR@/charon.vici
    }
  }
  syslog {
    daemon {
      default = -1
    }
    auth {
      default = -1
    }
  }
  filelog {
    main {
      path = @DIR@/charon.log
      append = no
      flush_line = yes
      default = 1
    }
  }
}
swanctl {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints
}
charon-systemd {
  journal {
    default = -1
  }
}
)";

constexpr const char* kSwanctlConf = R"(connections {
  ikb {
    version = 2
    local_addrs = @ME@
    remote_addrs = @PEER@
    proposals = aes256gcm16-prfsha256-x25519
    mobike = no
    local {
      auth = psk
      id = @ME_ID@
    }
    remote {
      auth = psk
      id = @PEER_ID@
    }
    children {
      net {
        local_ts = @ME_TS@
        remote_ts = @PEER_TS@
        esp_proposals = @ESP@
      }
    }
  }
}
secrets {
  ike-ikb {
    id-1 = @ME_ID@
    id-2 = @PEER_ID@
    secret = 0x@PSK@
  }
}
)";

Env swan_env(const std::string& dir) {
  return {{"STRONGSWAN_CONF", dir + "/strongswan.conf"}, {"SWANCTL_DIR", dir + "/swanctl"}};
}

Result<CommandOutput> swanctl(const std::string& dir, std::vector<std::string> args,
                              const std::string& what, milliseconds timeout = milliseconds(10000)) {
  // swanctl's --uri is a per-command option: it must follow the command.
  std::vector<std::string> argv = {kSwanctl, args.front(), "--uri",
                                   "unix://" + dir + "/charon.vici"};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  return run_checked(argv, what, timeout, swan_env(dir));
}

Result<RunningTunnel> start_strongswan(const Topology& topo, const PeerOptions& o) {
  auto suite = parse_esp_suite(o.cipher);
  if (!suite) return suite.error();
  RunningTunnel t;
  t.src = topo.left().inner;
  t.dst = topo.right().inner;
  t.cipher = o.cipher;
  t.backend = "kernel-libipsec";
  std::string psk = random_hex(32);
  std::string dirs[2];
  for (int i = 0; i < 2; ++i) {
    const Side& me = i == 0 ? topo.left() : topo.right();
    const Side& peer = i == 0 ? topo.right() : topo.left();
    std::string dir = o.work_dir + "/swan-" + (i == 0 ? "l" : "r");
    dirs[i] = dir;
    if (mkdir(dir.c_str(), 0700) != 0 || mkdir((dir + "/swanctl").c_str(), 0700) != 0)
      return make_error(Errc::io, "strongswan", "cannot create " + dir);
    // The inner addresses are the traffic selectors; they live on lo.
    auto a = run_checked({"ip", "-n", me.ns, "addr", "add", me.inner + "/32", "dev", "lo"},
                         "strongswan");
    if (!a) return a.error();
    std::string me_id = i == 0 ? "left@ikb.test" : "right@ikb.test";
    std::string peer_id = i == 0 ? "right@ikb.test" : "left@ikb.test";
    auto w1 = write_private_file(dir + "/strongswan.conf", fill(kSwanConf, {{"DIR", dir}}));
    if (!w1) return w1.error();
    std::string conf = fill(kSwanctlConf, {{"ME", me.outer},
                                           {"PEER", peer.outer},
                                           {"ME_ID", me_id},
                                           {"PEER_ID", peer_id},
                                           {"ME_TS", me.inner + "/32"},
                                           {"PEER_TS", peer.inner + "/32"},
                                           {"ESP", o.cipher},
                                           {"PSK", psk}});
    auto w2 = write_private_file(dir + "/swanctl/swanctl.conf", conf);
    secure_zero(conf.data(), conf.size());
    if (!w2) return w2.error();
    // "ip netns exec" exec()s charon, so the child's PID is charon's own.
    auto c = Child::spawn(Topology::in_ns(me.ns, {kCharon}), dir + "/stdout.log",
                          dir + "/stderr.log", swan_env(dir));
    if (!c) return c.error();
    t.procs.push_back(std::move(*c));
    t.remove_paths.push_back(dir + "/charon.vici");
    bool up = false;
    for (int k = 0; k < 200 && !up; ++k) {
      if (access((dir + "/charon.vici").c_str(), F_OK) == 0) {
        auto s = run_command({kSwanctl, "--stats", "--uri", "unix://" + dir + "/charon.vici"},
                             milliseconds(3000), swan_env(dir));
        if (!s) return s.error();
        up = s->exit_code == 0;
      }
      if (up) break;
      if (!t.procs.back().running())
        return make_error(Errc::io, "strongswan",
                          "charon exited while starting: " +
                              first_line(read_text_file(dir + "/charon.log") +
                                         read_text_file(dir + "/stdout.log")));
      if (!sleep_unless_stopped(milliseconds(50))) return interrupted_error();
    }
    if (!up)
      return make_error(Errc::timeout, "strongswan", "charon's vici socket did not appear in 10 s");
    auto l = swanctl(dir, {"--load-all", "--noprompt"}, "strongswan");
    if (!l) return l.error();
  }
  secure_zero(psk.data(), psk.size());
  auto init = swanctl(dirs[0], {"--initiate", "--child", "net", "--timeout", "10"}, "strongswan",
                      milliseconds(15000));
  if (!init) return init.error();
  return t;
}

// ---- wireguard-go on both ends --------------------------------------------------------

Result<RunningTunnel> start_wireguard(const Topology& topo, const PeerOptions& o) {
  RunningTunnel t;
  t.src = topo.left().inner;
  t.dst = topo.right().inner;
  t.cipher = "chacha20poly1305"; // WireGuard's only AEAD
  t.backend = "tun";
  std::string priv[2], pub[2];
  for (int i = 0; i < 2; ++i) {
    auto k = run_checked({"wg", "genkey"}, "wireguard-go");
    if (!k) return k.error();
    priv[i] = first_line(k->out);
    secure_zero(k->out.data(), k->out.size());
    auto p = run_checked({"wg", "pubkey"}, "wireguard-go", milliseconds(5000), {}, priv[i] + "\n");
    if (!p) return p.error();
    pub[i] = first_line(p->out);
  }
  // wireguard-go names its UAPI socket /var/run/wireguard/<ifname>.sock in the file
  // system, which all namespaces share: the names must differ per side and per run.
  const std::string ifs[2] = {"ikbw" + std::to_string(o.pid) + "l",
                              "ikbw" + std::to_string(o.pid) + "r"};
  const char* kPort = "51820";
  for (int i = 0; i < 2; ++i) {
    const Side& me = i == 0 ? topo.left() : topo.right();
    const Side& peer = i == 0 ? topo.right() : topo.left();
    std::string base = o.work_dir + "/wg-" + (i == 0 ? "l" : "r");
    std::string sock = "/var/run/wireguard/" + ifs[i] + ".sock";
    unlink(sock.c_str());
    // This kernel has a WireGuard module; wireguard-go refuses to run then unless told.
    auto c = Child::spawn(
        Topology::in_ns(me.ns, {"wireguard-go", "-f", ifs[i]}), base + ".out", base + ".err",
        {{"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1"}, {"LOG_LEVEL", "error"}});
    if (!c) return c.error();
    t.procs.push_back(std::move(*c));
    t.remove_paths.push_back(sock);
    bool up = false;
    for (int k = 0; k < 250 && !up; ++k) {
      up = access(sock.c_str(), F_OK) == 0;
      if (up) break;
      if (!t.procs.back().running())
        return make_error(
            Errc::io, "wireguard-go",
            "wireguard-go exited while starting: " +
                first_line(read_text_file(base + ".err") + read_text_file(base + ".out")));
      if (!sleep_unless_stopped(milliseconds(20))) return interrupted_error();
    }
    if (!up) return make_error(Errc::timeout, "wireguard-go", "no UAPI socket " + sock + " in 5 s");
    std::string key_file = base + ".key";
    auto w = write_private_file(key_file, priv[i] + "\n");
    if (!w) return w.error();
    auto s = run_checked(
        Topology::in_ns(me.ns, {"wg", "set", ifs[i], "private-key", key_file, "listen-port", kPort,
                                "peer", pub[1 - i], "allowed-ips", peer.inner + "/32", "endpoint",
                                peer.outer + ":" + kPort}),
        "wireguard-go");
    unlink(key_file.c_str());
    if (!s) return s.error();
    auto a = run_checked({"ip", "-n", me.ns, "addr", "add", me.inner + "/24", "dev", ifs[i]},
                         "wireguard-go");
    if (!a) return a.error();
    auto u = run_checked({"ip", "-n", me.ns, "link", "set", ifs[i], "mtu", "1420", "up"},
                         "wireguard-go");
    if (!u) return u.error();
  }
  for (auto& p : priv)
    secure_zero(p.data(), p.size());
  return t;
}

} // namespace

RunningTunnel::~RunningTunnel() {
  for (auto it = procs.rbegin(); it != procs.rend(); ++it)
    it->stop();
  procs.clear();
  for (const auto& p : remove_paths)
    unlink(p.c_str());
}

std::string_view peer_name(Peer p) {
  switch (p) {
  case Peer::ikekit:
    return "ikekit";
  case Peer::strongswan:
    return "strongswan";
  case Peer::wireguard_go:
    return "wireguard-go";
  case Peer::none:
    return "none";
  }
  return "none";
}

Result<Peer> parse_peer(std::string_view name, const std::string& field) {
  for (Peer p : {Peer::ikekit, Peer::strongswan, Peer::wireguard_go, Peer::none})
    if (peer_name(p) == name) return p;
  return make_error(Errc::usage, field,
                    "\"" + std::string(name) +
                        "\": expected ikekit, strongswan, wireguard-go or none");
}

Result<void> check_peer_tools(Peer p, const PeerOptions& o) {
  const std::string_view name = peer_name(p);
  switch (p) {
  case Peer::ikekit:
    if (o.esp_tunnel.empty() || access(o.esp_tunnel.c_str(), X_OK) != 0)
      return make_error(Errc::environment, "--peer",
                        "ikekit needs esp-tunnel next to ike-bench (" + o.esp_tunnel +
                            "); build the esp-tunnel target");
    return {};
  case Peer::strongswan: {
    if (auto r = need(kCharon, "charon-systemd", name); !r) return r;
    if (auto r = need(kSwanctl, "strongswan-swanctl", name); !r) return r;
    if (access("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so", F_OK) != 0)
      return env_missing("the kernel-libipsec plugin", "libcharon-extra-plugins", name);
    return {};
  }
  case Peer::wireguard_go:
    if (auto r = need("wireguard-go", "wireguard-go", name); !r) return r;
    return need("wg", "wireguard-tools", name);
  case Peer::none:
    return {};
  }
  return {};
}

Result<RunningTunnel> start_peer(Peer p, const Topology& topo, const PeerOptions& opts) {
  switch (p) {
  case Peer::ikekit:
    return start_ikekit(topo, opts);
  case Peer::strongswan:
    return start_strongswan(topo, opts);
  case Peer::wireguard_go:
    return start_wireguard(topo, opts);
  case Peer::none: {
    RunningTunnel t;
    t.src = topo.left().outer;
    t.dst = topo.right().outer;
    return t;
  }
  }
  return make_error(Errc::usage, "--peer", "unknown peer");
}

} // namespace ikekit::bench
