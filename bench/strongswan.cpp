#include "bench/strongswan.hpp"

#include "bench/files.hpp"

#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;

// Enough for PSK and certificates (ECDSA, RSA, Ed25519) with AES-GCM, AES-CBC/HMAC,
// ChaCha20-Poly1305, MODP, ECP and Curve25519.
// One list for every test and bench: ccm and ctr for the legacy transforms ike-decode
// reads, gcrypt for EAP-MSCHAPv2's MD4 and DES, the EAP methods for remote access.
constexpr std::string_view kPlugins =
    "random nonce openssl aes sha1 sha2 hmac gcm ccm ctr chapoly curve25519 kdf gmp gcrypt "
    "pem pkcs1 pkcs8 x509 pubkey constraints eap-identity eap-mschapv2 eap-radius "
    "kernel-libipsec kernel-netlink socket-default vici";
// swanctl's own list: its default list costs ~30 ms per call.
constexpr std::string_view kSwanctlPlugins =
    "random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints";

std::string logging(const CharonSettings& s) {
  std::string t = "    syslog {\n        daemon {\n            default = -1\n        }\n"
                  "        auth {\n            default = -1\n        }\n    }\n";
  t += "    filelog {\n        main {\n            path = " + s.dir +
       "/charon.log\n"
       "            time_format = %s\n            time_add_ms = yes\n            ike_name = yes\n"
       "            append = no\n            flush_line = yes\n            default = " +
       std::to_string(s.log_level) + "\n        }\n";
  if (s.key_log)
    t += "        keys {\n            path = " + s.dir +
         "/charon-keys.log\n"
         "            ike_name = yes\n            append = no\n            flush_line = yes\n"
         "            default = 0\n            ike = 4\n            chd = 4\n            cfg = 1\n"
         "            enc = 1\n        }\n";
  return t + "    }\n";
}

Result<void> wait_for_vici(Charon& c, const std::string& vici,
                           const std::vector<std::string>& logs) {
  return wait_until(
      [&] {
        if (access(vici.c_str(), F_OK) != 0) return false;
        // The socket file appears a moment before charon accepts on it.
        auto s =
            run_command({kSwanctlPath, "--stats", "--uri", "unix://" + vici}, milliseconds(3000));
        return s && s->exit_code == 0;
      },
      [&] { return check_running(c.process(), "strongswan", logs); }, milliseconds(10000),
      "strongswan", milliseconds(50));
}

} // namespace

std::string_view charon_plugins() { return kPlugins; }

std::vector<std::string> charon_settings(const CharonSettings& s) {
  std::vector<std::string> v = {"load_modular = no", "load = " + std::string(kPlugins),
                                "port = 500", "port_nat_t = 4500", "retransmit_tries = 3"};
  if (s.routes) {
    v.push_back("install_routes = yes");
  } else {
    v.push_back("install_routes = no");
    v.push_back("install_virtual_ip = no");
  }
  if (s.unthrottled)
    v.insert(v.end(), {"cookie_threshold = 1000000", "cookie_threshold_ip = 1000000",
                       "block_threshold = 1000000", "init_limit_half_open = 0",
                       "init_limit_job_load = 0", "dos_protection = no", "ikesa_table_size = 4096",
                       "ikesa_table_segments = 16", "threads = 16"});
  return v;
}

std::string strongswan_conf(const CharonSettings& s) {
  std::string t = "# written by ike-bench (bench/strongswan.cpp)\ncharon {\n";
  for (const auto& line : charon_settings(s))
    t += "    " + line + "\n";
  t += "    plugins {\n        vici {\n            socket = unix://" + s.dir +
       "/charon.vici\n        }\n    }\n";
  t += logging(s) + "}\n";
  t += "swanctl {\n    load = " + std::string(kSwanctlPlugins) + "\n}\n";
  t += "charon-systemd {\n    journal {\n        default = -1\n    }\n}\n";
  return t;
}

std::string swanctl_conf(const SwanConnection& c) {
  auto id = [](const std::string& v) { return v.empty() ? "" : "            id = " + v + "\n"; };
  std::string t =
      "# written by ike-bench (bench/strongswan.cpp)\nconnections {\n    " + c.name + " {\n";
  t += "        version = 2\n        local_addrs = " + c.local_addrs +
       "\n        remote_addrs = " + c.remote_addrs + "\n        proposals = " + c.proposals +
       "\n        mobike = " + (c.mobike ? "yes" : "no") + "\n";
  if (c.keep_duplicates) t += "        unique = never\n        dpd_delay = 0\n";
  t += "        local {\n            auth = psk\n" + id(c.local_id) + "        }\n";
  t += "        remote {\n            auth = psk\n" + id(c.remote_id) + "        }\n";
  t += "        children {\n            " + c.name +
       " {\n                esp_proposals = " + c.esp_proposals +
       "\n                local_ts = " + c.local_ts +
       "\n                remote_ts = " + c.remote_ts +
       "\n                mode = tunnel\n                start_action = none\n            }\n      "
       "  }\n"
       "    }\n}\n";
  // Without ids the secret matches any identity.
  t += "secrets {\n    ike-" + c.name + " {\n";
  if (!c.local_id.empty()) t += "        id-1 = " + c.local_id + "\n";
  if (!c.remote_id.empty()) t += "        id-2 = " + c.remote_id + "\n";
  return t + "        secret = \"" + c.psk + "\"\n    }\n}\n";
}

Result<void> check_strongswan_installed(const std::string& field) {
  for (const char* p : {kCharonPath, kSwanctlPath})
    if (access(p, X_OK) != 0)
      return make_error(
          Errc::environment, field,
          std::string(p) +
              " not found: install the Debian packages charon-systemd and strongswan-swanctl");
  return {};
}

Result<Charon> Charon::start(const std::string& netns, const CharonSettings& s,
                             const std::string& swanctl_conf_text) {
  if (auto ok = check_strongswan_installed("--peer"); !ok) return ok.error();
  Charon c;
  c.dir_ = s.dir;
  c.log_path_ = s.dir + "/charon.log";
  if (auto d = make_private_dir(s.dir + "/swanctl", "strongswan"); !d) return d.error();
  if (auto w = write_private_file(s.dir + "/strongswan.conf", strongswan_conf(s)); !w)
    return w.error();
  if (auto w = write_private_file(s.dir + "/swanctl/swanctl.conf", swanctl_conf_text); !w)
    return w.error();
  Env env = {{"STRONGSWAN_CONF", s.dir + "/strongswan.conf"}, {"SWANCTL_DIR", s.dir + "/swanctl"}};
  auto child = Child::spawn(Command({kCharonPath}, env, netns), s.dir + "/stdout.log",
                            s.dir + "/stderr.log");
  if (!child) return child.error();
  c.process_ = std::move(*child);
  const std::vector<std::string> logs = {s.dir + "/stderr.log", c.log_path_, s.dir + "/stdout.log"};
  if (auto w = wait_for_vici(c, s.dir + "/charon.vici", logs); !w) return w.error();
  if (auto l = c.swanctl({"--load-all", "--noprompt"}, "strongswan"); !l) return l.error();
  return c;
}

Result<CommandOutput> Charon::swanctl(const std::vector<std::string>& args, const std::string& what,
                                      milliseconds timeout) {
  std::vector<std::string> argv = {kSwanctlPath, args.front(), "--uri",
                                   "unix://" + dir_ + "/charon.vici"};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  Env env = {{"STRONGSWAN_CONF", dir_ + "/strongswan.conf"}, {"SWANCTL_DIR", dir_ + "/swanctl"}};
  return run_checked(Command(argv, env), what, timeout);
}

} // namespace ikekit::bench
