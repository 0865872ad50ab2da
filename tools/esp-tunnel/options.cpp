#include "options.hpp"

#include "key_material.hpp"

#include <charconv>

using namespace ikekit;
using ikekit::io::Prefix;
using ikekit::io::dataplane::EspMode;

namespace esp_tunnel {

namespace {

Result<IpAddress> parse_addr(const std::string& text, const std::string& flag) {
  if (text.empty()) return flag_error(flag, "is required: an IPv4 or IPv6 address");
  auto a = IpAddress::parse(text);
  if (!a) return flag_error(flag, "\"" + text + "\": expected an IPv4 or IPv6 address");
  return *a;
}

Result<std::vector<Prefix>> parse_prefixes(const std::vector<std::string>& texts,
                                           const std::string& flag) {
  std::vector<Prefix> out;
  for (const auto& t : texts) {
    auto p = Prefix::parse(t);
    if (!p) return flag_error(flag, "\"" + t + "\": expected an address prefix like 10.1.0.0/16");
    out.push_back(*p);
  }
  return out;
}

// The network an interface address like 10.32.1.1/24 belongs to: 10.32.1.0/24.
Prefix network_of(const Prefix& p) {
  Bytes b(p.addr.bytes().begin(), p.addr.bytes().end());
  for (size_t i = 0; i < b.size(); ++i) {
    size_t bit = i * 8;
    if (bit >= p.len)
      b[i] = 0;
    else if (p.len - bit < 8)
      b[i] &= uint8_t(0xff << (8 - (p.len - bit)));
  }
  return Prefix{p.addr.is_v4() ? IpAddress::v4(b) : IpAddress::v6(b), p.len};
}

} // namespace

std::string_view backend_name(Backend b) { return b == Backend::tun ? "tun" : "xfrm"; }

Result<uint32_t> parse_u32(const std::string& text, const std::string& flag) {
  std::string_view t = text;
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    t.remove_prefix(2);
    base = 16;
  }
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size())
    return flag_error(flag, "\"" + text + "\": expected a 32-bit number like 42 or 0x2a");
  return v;
}

Result<io::XfrmMark> parse_mark(const std::string& text, const std::string& flag) {
  auto slash = text.find('/');
  auto bad = [&] {
    return flag_error(flag, "\"" + text +
                                "\": expected VALUE[/MASK], 32-bit numbers like 42 or 0x2a/0xff");
  };
  auto value = parse_u32(text.substr(0, slash), flag);
  if (!value) return bad();
  io::XfrmMark m{*value, 0xffffffff};
  if (slash != std::string::npos) {
    auto mask = parse_u32(text.substr(slash + 1), flag);
    if (!mask) return bad();
    m.mask = *mask;
  }
  return m;
}

void add_flags(CLI::App& app, Flags& f) {
  app.add_option("--backend", f.backend, "Data plane: tun (user space, default) or xfrm (kernel)");
  app.add_option("--local", f.local, "Local outer address (ESP is sent from it)");
  app.add_option("--remote", f.remote, "Remote outer address (the peer)");
  app.add_option("--spi-in", f.spi_in, "Inbound SPI (hex), the one the peer sends with");
  app.add_option("--spi-out", f.spi_out, "Outbound SPI (hex)");
  app.add_option("--cipher", f.cipher,
                 "strongSwan keyword: aes128gcm16, aes256gcm16, chacha20poly1305, aes128, aes256");
  app.add_option("--key-in", f.key_in, "Inbound encryption key, hex (AEAD: key || 4-byte salt)");
  app.add_option("--key-out", f.key_out, "Outbound encryption key, hex");
  app.add_option("--integ", f.integ, "Integrity algorithm for CBC: sha256, sha384, sha512");
  app.add_option("--integ-key-in", f.integ_key_in, "Inbound integrity key, hex");
  app.add_option("--integ-key-out", f.integ_key_out, "Outbound integrity key, hex");
  app.add_option("--keys", f.keys,
                 "ikekit key log (ike-up --keylog): take the keys of --spi-in/--spi-out from it");
  app.add_flag("--udp-encap,!--no-udp-encap", f.udp_encap,
               "ESP in UDP port 4500 (RFC 3948, default) or raw ESP, IP protocol 50");
  app.add_option("--port", f.port, "UDP port for encapsulated ESP (default 4500)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--mode", f.mode, "tunnel (default) or transport");
  app.add_option("--tun-name", f.tun_name, "TUN device name (default: the kernel picks tunN)");
  app.add_option("--tun-addr", f.tun_addr, "Address of the TUN device, CIDR; repeatable");
  app.add_option("--route", f.routes, "Route this prefix through the tunnel; repeatable");
  app.add_option("--mtu", f.mtu, "TUN device MTU (default 1400)")->check(CLI::Range(576, 9000));
  app.add_flag("--offload,!--no-offload", f.offload,
               "TUN TSO/checksum offload with user-space segmentation and coalescing, UDP "
               "GSO/GRO (default on; tun backend)");
  app.add_option("--busy-poll", f.busy_poll_us,
                 "After traffic, poll this many microseconds before sleeping, so a quick answer "
                 "needs no wake-up (default 200; 0: off; tun backend)")
      ->check(CLI::Range(0, 100000));
  app.add_option("--replay-window", f.replay_window, "Anti-replay window in packets (default 1024)")
      ->check(CLI::Range(0, 65536));
  app.add_option("--stats-interval", f.stats_interval, "Print a stats line this often (e.g. 10s)");
  app.add_option("--mark", f.mark,
                 "XFRM mark VALUE[/MASK] on the states and policies (xfrm backend)");
  app.add_option("--if-id", f.if_id, "XFRM interface id on the states and policies (xfrm backend)");
  app.add_option("--state-dir", f.state_dir,
                 std::string("Outbound sequence numbers are kept here across runs (tun backend; "
                             "default ") +
                     kDefaultStateDir + ")");
  app.add_flag("--keys-are-fresh", f.keys_are_fresh,
               "Keep no sequence state: these keys were never used and this run is their only "
               "one (refused when a state says otherwise)");
}

namespace {

// Each group reads its flags into `o` in the order the checks have always run, so the
// first bad flag is still the one reported.

Result<void> set_backend(const Flags& f, Options& o) {
  if (f.backend == "tun")
    o.backend = Backend::tun;
  else if (f.backend == "xfrm")
    o.backend = Backend::xfrm;
  else
    return flag_error("--backend", "\"" + f.backend + "\": expected tun or xfrm");
  return {};
}

// --local, --remote, --spi-in, --spi-out.
Result<void> set_endpoints(const Flags& f, Options& o) {
  auto local = parse_addr(f.local, "--local");
  if (!local) return local.error();
  auto remote = parse_addr(f.remote, "--remote");
  if (!remote) return remote.error();
  if (local->family() != remote->family())
    return flag_error("--remote",
                      "\"" + f.remote + "\": not the same address family as --local " + f.local);
  o.sa.local = *local;
  o.sa.remote = *remote;

  if (f.spi_in.empty()) return flag_error("--spi-in", "is required: the inbound SPI in hex");
  if (f.spi_out.empty()) return flag_error("--spi-out", "is required: the outbound SPI in hex");
  auto spi_in = parse_spi(f.spi_in, "--spi-in");
  if (!spi_in) return spi_in.error();
  auto spi_out = parse_spi(f.spi_out, "--spi-out");
  if (!spi_out) return spi_out.error();
  o.sa.in.spi = *spi_in;
  o.sa.out.spi = *spi_out;
  return {};
}

// --mode, --udp-encap, --port, --replay-window, --mtu, --offload.
Result<void> set_encapsulation(const Flags& f, Options& o) {
  if (f.mode == "tunnel")
    o.sa.mode = EspMode::tunnel;
  else if (f.mode == "transport")
    o.sa.mode = EspMode::transport;
  else
    return flag_error("--mode", "\"" + f.mode + "\": expected tunnel or transport");

  o.sa.udp_encap = f.udp_encap;
  o.sa.local_port = o.sa.remote_port = uint16_t(f.port);
  o.sa.replay_window = uint32_t(f.replay_window);
  o.mtu = uint32_t(f.mtu);
  o.offload = f.offload;
  if (f.busy_poll_us >= 0) {
    if (o.backend != Backend::tun) return flag_error("--busy-poll", "only with --backend tun");
    o.busy_poll = std::chrono::microseconds(f.busy_poll_us);
  }
  return {};
}

// --tun-addr, --route, --tun-name (tun backend); --mark, --if-id (xfrm backend).
Result<void> set_device(const Flags& f, Options& o) {
  auto addrs = parse_prefixes(f.tun_addr, "--tun-addr");
  if (!addrs) return addrs.error();
  o.tun_addr = *addrs;
  auto routes = parse_prefixes(f.routes, "--route");
  if (!routes) return routes.error();
  o.routes = *routes;
  if (f.tun_name.size() > 15)
    return flag_error("--tun-name", "\"" + f.tun_name + "\": at most 15 characters");
  o.tun_name = f.tun_name;
  if (o.backend == Backend::xfrm && !f.tun_name.empty())
    return flag_error("--tun-name", "only with --backend tun");
  if (!f.mark.empty()) {
    if (o.backend != Backend::xfrm) return flag_error("--mark", "only with --backend xfrm");
    auto m = parse_mark(f.mark, "--mark");
    if (!m) return m.error();
    o.mark = *m;
  }
  if (!f.if_id.empty()) {
    if (o.backend != Backend::xfrm) return flag_error("--if-id", "only with --backend xfrm");
    auto id = parse_u32(f.if_id, "--if-id");
    if (!id) return id.error();
    // The kernel reads if_id 0 as "no interface".
    if (*id == 0)
      return flag_error("--if-id", "\"" + f.if_id + "\": expected 1..4294967295 (0 means none)");
    o.if_id = *id;
  }
  return {};
}

// Traffic selectors (RFC 4301 4.4.1): ours are the TUN networks, the peer's the
// routes. Transport mode protects the two hosts themselves.
void set_traffic_selectors(Options& o) {
  if (o.sa.mode != EspMode::tunnel) return;
  for (const Prefix& p : o.tun_addr)
    o.sa.local_ts.push_back(esp::TrafficSelector{network_of(p)});
  for (const Prefix& p : o.routes)
    o.sa.remote_ts.push_back(esp::TrafficSelector{p});
}

// --stats-interval, --state-dir, --keys-are-fresh.
Result<void> set_run_state(const Flags& f, Options& o) {
  if (!f.stats_interval.empty()) {
    auto d = cli::parse_duration(f.stats_interval, "--stats-interval");
    if (!d) return d.error();
    if (d->count() <= 0)
      return flag_error("--stats-interval", "\"" + f.stats_interval + "\": must be positive");
    o.stats_interval = *d;
  }

  if (f.state_dir.empty() || f.state_dir[0] != '/')
    return flag_error("--state-dir",
                      "\"" + f.state_dir + "\": expected an absolute directory path");
  o.state_dir = f.state_dir;
  while (o.state_dir.size() > 1 && o.state_dir.back() == '/')
    o.state_dir.pop_back();
  o.keys_are_fresh = f.keys_are_fresh;
  return {};
}

// The keys from --keys or the key flags, then the whole SA checked; a bad key names the
// flag it came from.
Result<void> set_keys(const Flags& f, Options& o) {
  KeyFlags kf{f.cipher, f.key_in, f.key_out, f.integ, f.integ_key_in, f.integ_key_out};
  if (!f.keys.empty()) {
    o.keys_file = f.keys;
    if (auto r = keys_from_file(f.keys, kf, o.sa); !r) return r.error();
  } else if (auto r = keys_from_flags(kf, o.sa); !r) {
    return r.error();
  } else {
    o.keys_on_command_line = true;
  }
  if (auto v = io::dataplane::validate_child_sa(o.sa); !v) {
    Error e = v.error();
    e.code = Errc::usage;
    if (e.field.rfind("in.", 0) == 0)
      e.field = f.keys.empty() ? "--key-in" : "--keys";
    else if (e.field.rfind("out.", 0) == 0)
      e.field = f.keys.empty() ? "--key-out" : "--keys";
    return e;
  }
  return {};
}

} // namespace

Result<Options> make_options(const Flags& f) {
  Options o;
  o.common = f.common;
  if (auto r = set_backend(f, o); !r) return r.error();
  if (auto r = set_endpoints(f, o); !r) return r.error();
  if (auto r = set_encapsulation(f, o); !r) return r.error();
  if (auto r = set_device(f, o); !r) return r.error();
  set_traffic_selectors(o);
  if (auto r = set_run_state(f, o); !r) return r.error();
  if (auto r = set_keys(f, o); !r) return r.error();
  return o;
}

} // namespace esp_tunnel
