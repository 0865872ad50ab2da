#include "bench/tunnel_peers.hpp"

#include "base/hex.hpp"
#include "base/secret_bytes.hpp"
#include "bench/esp_bench.hpp"
#include "bench/files.hpp"
#include "crypto/suite.hpp"
#include "crypto/system_rng.hpp"

#include <chrono>
#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;

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

uint32_t random_spi(uint8_t top) {
  uint8_t b[3];
  crypto::SystemRng rng;
  rng.fill(MutBytes(b, sizeof b));
  return uint32_t(top) << 24 | uint32_t(b[0]) << 16 | uint32_t(b[1]) << 8 | b[2];
}

// ---- ikekit: esp-tunnel on both ends ------------------------------------------------

Result<RunningTunnel> start_esp_tunnel(const NetnsSide& left, const NetnsSide& right,
                                       const PeerOptions& o) {
  auto suite = parse_esp_suite(o.cipher);
  if (!suite) return suite.error();
  const auto& encr = *suite->encr;
  const size_t ekey = size_t(encr.key_len) + encr.salt_len;
  const size_t ikey = suite->integ ? suite->integ->key_len : 0;
  const uint32_t spi_lr = random_spi(0xc1), spi_rl = random_spi(0xc2);
  // An ikekit key log (ikekit-json(7)), as ike-up --keylog writes it: one child_sa line
  // per direction; esp-tunnel --keys picks its inbound and outbound SA by SPI.
  auto line = [&](uint32_t spi, const NetnsSide& src, const NetnsSide& dst) {
    std::string integ = suite->integ ? "\"" + std::string(suite->integ->keyword) + "\"" : "null";
    std::string integ_key = ikey ? "\"" + random_hex(ikey) + "\"" : "null";
    return "{\"type\":\"child_sa\",\"spi\":\"" + to_hex_u32(spi) + "\",\"src\":\"" +
           src.outer.to_string() + "\",\"dst\":\"" + dst.outer.to_string() +
           "\",\"protocol\":\"esp\",\"encr\":\"" + std::string(encr.keyword) +
           "\",\"integ\":" + integ + ",\"encr_key\":\"" + random_hex(ekey) +
           "\",\"integ_key\":" + integ_key + "}\n";
  };
  const std::string keys = o.work_dir + "/ikekit-keys.jsonl";
  std::string text = line(spi_lr, left, right) + line(spi_rl, right, left);
  auto w = write_private_file(keys, text);
  secure_zero(text.data(), text.size());
  if (!w) return w.error();

  RunningTunnel t = inner_tunnel(left, right, o.cipher, "tun");
  const std::string tun = "ikbt" + std::to_string(o.pid);
  for (int i = 0; i < 2; ++i) {
    const NetnsSide& me = i == 0 ? left : right;
    const NetnsSide& peer = i == 0 ? right : left;
    uint32_t spi_in = i == 0 ? spi_rl : spi_lr, spi_out = i == 0 ? spi_lr : spi_rl;
    std::string base = o.work_dir + "/esp-tunnel-" + (i == 0 ? "l" : "r");
    auto c = Child::spawn(in_netns(me.ns, {o.esp_tunnel,
                                           "--backend",
                                           "tun",
                                           "--local",
                                           me.outer.to_string(),
                                           "--remote",
                                           peer.outer.to_string(),
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
                                           me.inner.to_string() + "/32",
                                           "--route",
                                           peer.inner.to_string() + "/32"}),
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

// One charon per side (bench/strongswan.hpp), PSK; the inner addresses sit on lo and are
// the traffic selectors. kernel-libipsec (5.9) always UDP-encapsulates ESP on 4500.
SwanConnection swan_connection(const NetnsSide& me, const NetnsSide& peer, bool left,
                               const PeerOptions& o, const std::string& psk) {
  SwanConnection c;
  c.name = "ikb";
  // A roaming client sends from whichever address it has; its server accepts any.
  c.local_addrs = o.roaming && left ? "%any" : me.outer.to_string();
  c.remote_addrs = o.roaming && !left ? "%any" : peer.outer.to_string();
  c.mobike = o.roaming;
  c.proposals = "aes256gcm16-prfsha256-x25519";
  c.esp_proposals = o.cipher;
  c.local_id = left ? "left@ikb.test" : "right@ikb.test";
  c.remote_id = left ? "right@ikb.test" : "left@ikb.test";
  c.local_ts = me.inner.to_string() + "/32";
  c.remote_ts = peer.inner.to_string() + "/32";
  c.psk = psk;
  return c;
}

Result<RunningTunnel> start_strongswan(const NetnsSide& left, const NetnsSide& right,
                                       const PeerOptions& o) {
  RunningTunnel t = inner_tunnel(left, right, o.cipher, "kernel-libipsec");
  std::string psk = random_hex(32);
  for (int i = 0; i < 2; ++i) {
    const NetnsSide& me = i == 0 ? left : right;
    const NetnsSide& peer = i == 0 ? right : left;
    CharonSettings s;
    s.dir = o.work_dir + "/swan-" + (i == 0 ? "l" : "r");
    if (auto d = make_private_dir(s.dir, "strongswan"); !d) return d.error();
    auto a =
        run_checked({"ip", "-n", me.ns, "addr", "add", me.inner.to_string() + "/32", "dev", "lo"},
                    "strongswan");
    if (!a) return a.error();
    std::string conf = swanctl_conf(swan_connection(me, peer, i == 0, o, psk));
    auto c = Charon::start(me.ns, s, conf);
    secure_zero(conf.data(), conf.size());
    if (!c) return c.error();
    t.charons.push_back(std::move(*c));
  }
  secure_zero(psk.data(), psk.size());
  auto init = t.charons.front().swanctl({"--initiate", "--child", "ikb", "--timeout", "10"},
                                        "strongswan", milliseconds(15000));
  if (!init) return init.error();
  return t;
}

// ---- wireguard-go on both ends --------------------------------------------------------

Result<RunningTunnel> start_wireguard(const NetnsSide& left, const NetnsSide& right,
                                      const PeerOptions& o) {
  RunningTunnel t = inner_tunnel(left, right, "chacha20poly1305", "tun"); // WireGuard's only AEAD
  std::string priv[2], pub[2];
  for (int i = 0; i < 2; ++i) {
    auto k = run_checked({"wg", "genkey"}, "wireguard-go");
    if (!k) return k.error();
    priv[i] = first_line(k->out);
    secure_zero(k->out.data(), k->out.size());
    auto p = run_checked({"wg", "pubkey"}, "wireguard-go", milliseconds(5000), priv[i] + "\n");
    if (!p) return p.error();
    pub[i] = first_line(p->out);
  }
  // wireguard-go names its UAPI socket /var/run/wireguard/<ifname>.sock in the file
  // system, which all namespaces share: the names must differ per side and per run.
  const std::string ifs[2] = {"ikbw" + std::to_string(o.pid) + "l",
                              "ikbw" + std::to_string(o.pid) + "r"};
  const char* kPort = "51820";
  for (int i = 0; i < 2; ++i) {
    const NetnsSide& me = i == 0 ? left : right;
    const NetnsSide& peer = i == 0 ? right : left;
    std::string base = o.work_dir + "/wg-" + (i == 0 ? "l" : "r");
    std::string sock = "/var/run/wireguard/" + ifs[i] + ".sock";
    unlink(sock.c_str());
    // This kernel has a WireGuard module; wireguard-go refuses to run then unless told.
    auto c = Child::spawn(
        Command({"wireguard-go", "-f", ifs[i]},
                {{"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1"}, {"LOG_LEVEL", "error"}},
                me.ns),
        base + ".out", base + ".err");
    if (!c) return c.error();
    t.procs.push_back(std::move(*c));
    t.remove_paths.push_back(sock);
    auto up = wait_until(
        [&] { return access(sock.c_str(), F_OK) == 0; },
        [&] {
          return check_running(t.procs.back(), "wireguard-go", {base + ".err", base + ".out"});
        },
        milliseconds(5000), "wireguard-go");
    if (!up) return up.error();
    std::string key_file = base + ".key";
    auto w = write_private_file(key_file, priv[i] + "\n");
    if (!w) return w.error();
    std::vector<std::string> set = {"wg",
                                    "set",
                                    ifs[i],
                                    "private-key",
                                    key_file,
                                    "listen-port",
                                    kPort,
                                    "peer",
                                    pub[1 - i],
                                    "allowed-ips",
                                    peer.inner.to_string() + "/32"};
    // The server of a roaming client learns its endpoint from the client's packets.
    if (!(o.roaming && i == 1))
      set.insert(set.end(), {"endpoint", peer.outer.to_string() + ":" + kPort});
    auto s = run_checked(in_netns(me.ns, Command(set)), "wireguard-go");
    unlink(key_file.c_str());
    if (!s) return s.error();
    auto a =
        run_checked({"ip", "-n", me.ns, "addr", "add", me.inner.to_string() + "/24", "dev", ifs[i]},
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

RunningTunnel inner_tunnel(const NetnsSide& left, const NetnsSide& right, std::string cipher,
                           std::string backend) {
  RunningTunnel t;
  t.src = left.inner.to_string();
  t.dst = right.inner.to_string();
  t.cipher = std::move(cipher);
  t.backend = std::move(backend);
  return t;
}

std::string random_hex(size_t n) {
  SecretBytes b(n);
  crypto::SystemRng rng;
  rng.fill(b.reveal_mut());
  return to_hex(b.reveal());
}

RunningTunnel::~RunningTunnel() {
  for (auto it = procs.rbegin(); it != procs.rend(); ++it)
    it->stop();
  procs.clear();
  for (auto it = charons.rbegin(); it != charons.rend(); ++it)
    it->process().stop();
  charons.clear();
  for (const auto& p : remove_paths)
    unlink(p.c_str());
}

std::string_view peer_name(Peer p) {
  switch (p) {
  case Peer::ikekit:
    return "ikekit";
  case Peer::ikekit_tcp:
    return "ikekit-tcp";
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
  for (Peer p : {Peer::ikekit, Peer::ikekit_tcp, Peer::strongswan, Peer::wireguard_go, Peer::none})
    if (peer_name(p) == name) return p;
  return make_error(Errc::usage, field,
                    "\"" + std::string(name) +
                        "\": expected ikekit, ikekit-tcp, strongswan, wireguard-go or none");
}

std::optional<std::string> peer_transport(Peer p) {
  if (p == Peer::none) return std::nullopt;
  return std::string(p == Peer::ikekit_tcp ? "tcp" : "udp");
}

Result<std::vector<Peer>> parse_peer_list(std::string_view list, const std::string& field) {
  std::vector<Peer> peers;
  size_t start = 0;
  for (;;) {
    size_t c = list.find(',', start);
    auto p = parse_peer(list.substr(start, c == std::string_view::npos ? c : c - start), field);
    if (!p) return p.error();
    peers.push_back(*p);
    if (c == std::string_view::npos) return peers;
    start = c + 1;
  }
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
  case Peer::ikekit_tcp:
    if (o.ike_up.empty() || access(o.ike_up.c_str(), X_OK) != 0)
      return make_error(Errc::environment, "--peer",
                        "ikekit-tcp needs ike-up next to ike-bench (" + o.ike_up +
                            "); build the ike-up target");
    return {};
  case Peer::strongswan: {
    if (auto r = need(kCharonPath, "charon-systemd", name); !r) return r;
    if (auto r = need(kSwanctlPath, "strongswan-swanctl", name); !r) return r;
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

Result<RunningTunnel> start_peer(Peer p, const NetnsSide& left, const NetnsSide& right,
                                 const PeerOptions& opts) {
  switch (p) {
  case Peer::ikekit:
    return opts.roaming ? start_ike_up_pair(left, right, opts, "udp")
                        : start_esp_tunnel(left, right, opts);
  case Peer::ikekit_tcp:
    return start_ike_up_pair(left, right, opts, "tcp");
  case Peer::strongswan:
    return start_strongswan(left, right, opts);
  case Peer::wireguard_go:
    return start_wireguard(left, right, opts);
  case Peer::none: {
    RunningTunnel t;
    t.src = left.outer.to_string();
    t.dst = right.outer.to_string();
    return t;
  }
  }
  return make_error(Errc::usage, "--peer", "unknown peer");
}

Result<void> wait_for_path(const std::string& ns, const RunningTunnel& t) {
  for (int i = 0; i < 10; ++i) {
    auto p =
        run_command(in_netns(ns, {"ping", "-n", "-q", "-c", "1", "-W", "1", "-I", t.src, t.dst}),
                    milliseconds(3000));
    if (!p) return p.error();
    if (p->exit_code == 0) return {};
    if (!sleep_unless_stopped(milliseconds(100))) return interrupted_error();
  }
  return make_error(Errc::timeout, "tunnel",
                    "no ping from " + t.src + " to " + t.dst + " passed the tunnel in 10 s");
}

} // namespace ikekit::bench
