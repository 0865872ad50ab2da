#include "bench/handshake_udp_responder.hpp"

#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace ikekit::bench {

namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(10);

Result<void> write_private_file(const std::string& path, const std::string& text) {
  mode_t old = umask(077);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  umask(old);
  out << text;
  out.close();
  if (!out) return make_error(Errc::io, "responder", path + ": cannot be written");
  return {};
}

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

Result<std::string> find_ike_up(const ResponderSpec& spec) {
  if (!spec.ike_up_binary.empty()) {
    if (executable(spec.ike_up_binary)) return spec.ike_up_binary;
    return make_error(Errc::environment, "--peer",
                      spec.ike_up_binary + ": not an executable ike-up");
  }
  // Installed side by side (bin/ike-bench, bin/ike-up); test binaries live in a sibling
  // directory of bin/.
  std::string dir = executable_dir();
  for (const std::string& p : {dir + "/ike-up", dir + "/../bin/ike-up"})
    if (executable(p)) return p;
  return make_error(Errc::environment, "--peer",
                    "ike-up not found next to ike-bench (" + dir + "/ike-up): build or install it");
}

// strongSwan 5.9 settings (strongswan.conf(5)). The plugin list is the smallest that
// does PSK with AES-GCM/ChaCha20, SHA-2 PRFs and X25519/ECP/MODP through OpenSSL; this
// kernel has XFRM without ESP, so Child SAs go to the userspace ESP backend
// kernel-libipsec, which must load before kernel-netlink (the first kernel-ipsec
// backend wins). The limits are raised so the responder never throttles, blocks or
// demands cookies under a benchmark's load from one address.
std::vector<std::string> charon_settings() {
  return {
      "load_modular = no",
      "load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 kdf "
      "kernel-libipsec kernel-netlink socket-default vici",
      "port = 500",
      "port_nat_t = 4500",
      "install_routes = no",
      "install_virtual_ip = no",
      "cookie_threshold = 1000000",
      "cookie_threshold_ip = 1000000",
      "block_threshold = 1000000",
      "init_limit_half_open = 0",
      "init_limit_job_load = 0",
      "dos_protection = no",
      "ikesa_table_size = 4096",
      "ikesa_table_segments = 16",
      "threads = 16",
  };
}

std::string strongswan_conf(const std::string& dir) {
  std::string s = "# written by ike-bench handshake --mode udp --peer strongswan\ncharon {\n";
  for (const auto& line : charon_settings())
    s += "    " + line + "\n";
  s += "    plugins {\n        vici {\n            socket = unix://" + dir +
       "/charon.vici\n        }\n    }\n";
  // Logging off (a benchmark measures the daemon, not its log); errors still reach stderr.
  s += "    syslog {\n        daemon {\n            default = -1\n        }\n        auth {\n"
       "            default = -1\n        }\n    }\n";
  s += "    filelog {\n        main {\n            path = " + dir +
       "/charon.log\n"
       "            default = -1\n            append = no\n        }\n    }\n}\n";
  // charon-systemd reads charon-systemd.* and falls back to charon.*; its journal is off.
  s += "charon-systemd {\n    journal {\n        default = -1\n    }\n}\n";
  s += "swanctl {\n    load = random nonce openssl\n}\n";
  return s;
}

std::string swanctl_conf(const ResponderSpec& spec) {
  return "# written by ike-bench handshake --mode udp --peer strongswan\n"
         "connections {\n"
         "    bench {\n"
         "        version = 2\n"
         "        local_addrs = " +
         spec.address.to_string() +
         "\n"
         "        remote_addrs = %any\n"
         "        proposals = " +
         spec.ike_proposal +
         "\n"
         // Every handshake comes from the same address and identity: keep them all.
         "        unique = never\n"
         "        dpd_delay = 0\n"
         "        local {\n            auth = psk\n        }\n"
         "        remote {\n            auth = psk\n        }\n"
         "        children {\n"
         "            bench {\n"
         "                esp_proposals = " +
         spec.esp_proposal +
         "\n"
         "                local_ts = " +
         spec.local_ts +
         "\n"
         "                remote_ts = " +
         spec.remote_ts +
         "\n"
         "                mode = tunnel\n"
         "                start_action = none\n"
         "            }\n"
         "        }\n"
         "    }\n"
         "}\n"
         "secrets {\n    ike-bench {\n        secret = \"" +
         spec.psk + "\"\n    }\n}\n";
}

} // namespace

std::string executable_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, size_t(n));
  auto slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

Result<void> Responder::check_alive() {
  if (process_->running()) return {};
  std::string tail = file_tail(log_path_);
  return make_error(Errc::io, "responder",
                    program_ + " " + process_->exit_status() + (tail.empty() ? "" : ": " + tail));
}

Result<std::unique_ptr<Responder>> Responder::start(const ResponderSpec& spec) {
  std::unique_ptr<Responder> r(new Responder());
  SpawnSpec s;
  s.netns = spec.netns;
  std::vector<std::string> swan_env;
  if (spec.peer == "ikekit") {
    auto bin = find_ike_up(spec);
    if (!bin) return bin.error();
    std::string psk_path = spec.dir + "/psk";
    if (auto w = write_private_file(psk_path, spec.psk); !w) return w.error();
    s.argv = {*bin,
              "--role",
              "responder",
              "--name",
              "bench",
              "--local",
              spec.address.to_string(),
              "--psk-file",
              psk_path,
              "--ike-proposal",
              spec.ike_proposal,
              "--esp-proposal",
              spec.esp_proposal,
              "--local-ts",
              spec.local_ts,
              "--remote-ts",
              spec.remote_ts,
              "--dataplane",
              "none",
              "--control-socket",
              "none",
              "--dpd-delay",
              "0"};
    r->program_ = "ike-up";
    r->settings_ = {"--dataplane none", "--control-socket none", "--dpd-delay 0",
                    "events to /dev/null"};
    // Like charon's cookie_threshold below: no COOKIE round trips under the benchmark's
    // load, where ike-up has the flag (older builds answer with cookies above 10
    // half-open SAs, visible as more than 4 messages per handshake).
    auto help = run_command({*bin, "--help"});
    if (help && help->find("--cookie-threshold") != std::string::npos) {
      s.argv.insert(s.argv.end(), {"--cookie-threshold", "1000000"});
      r->settings_.push_back("--cookie-threshold 1000000");
    }
    // Like charon's block_threshold and init_limit_half_open below.
    if (help && help->find("--half-open-limit") != std::string::npos) {
      s.argv.insert(s.argv.end(), {"--half-open-limit", "0", "--half-open-limit-per-ip", "0"});
      r->settings_.push_back("--half-open-limit 0 --half-open-limit-per-ip 0");
    }
  } else if (spec.peer == "strongswan") {
    for (const char* p : {kCharonPath, kSwanctlPath})
      if (!executable(p))
        return make_error(
            Errc::environment, "--peer",
            std::string(p) +
                " not found: install the Debian packages charon-systemd and strongswan-swanctl");
    if (auto w = write_private_file(spec.dir + "/strongswan.conf", strongswan_conf(spec.dir)); !w)
      return w.error();
    if (mkdir((spec.dir + "/swanctl").c_str(), 0700) != 0 && errno != EEXIST)
      return make_error(Errc::io, "responder", spec.dir + "/swanctl: cannot be created");
    // swanctl.conf holds the PSK: owner-only like the directory.
    if (auto w = write_private_file(spec.dir + "/swanctl/swanctl.conf", swanctl_conf(spec)); !w)
      return w.error();
    swan_env = {"STRONGSWAN_CONF=" + spec.dir + "/strongswan.conf",
                "SWANCTL_DIR=" + spec.dir + "/swanctl"};
    s.argv = {kCharonPath};
    s.env = swan_env;
    r->program_ = "charon-systemd";
    for (const auto& line : charon_settings())
      r->settings_.push_back("charon." + line);
    r->settings_.push_back("charon.filelog/syslog/journal default = -1");
    r->settings_.push_back("connections.bench.unique = never");
  } else {
    return make_error(Errc::usage, "--peer",
                      "\"" + spec.peer + "\": expected ikekit or strongswan");
  }
  r->log_path_ = spec.dir + "/responder.log";
  s.stdout_path = r->log_path_ + ".out";
  s.stderr_path = r->log_path_;
  auto child = ChildProcess::spawn(s);
  if (!child) return child.error();
  r->process_ = std::make_unique<ChildProcess>(std::move(*child));

  auto until = std::chrono::steady_clock::now() + kReadyTimeout;
  auto wait_for = [&](auto ready, const std::string& what) -> Result<void> {
    while (!ready()) {
      if (auto a = r->check_alive(); !a) return a;
      if (std::chrono::steady_clock::now() >= until)
        return make_error(Errc::timeout, "responder", r->program_ + ": " + what + " within 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return {};
  };
  pid_t pid = r->process_->pid();
  if (auto w = wait_for(
          [&] {
            return udp_ports_bound(pid, {500, 4500});
          },
          "UDP ports 500 and 4500 not bound");
      !w)
    return w.error();
  if (spec.peer == "strongswan") {
    std::string vici = spec.dir + "/charon.vici";
    if (auto w =
            wait_for([&] { return access(vici.c_str(), F_OK) == 0; }, "no vici socket " + vici);
        !w)
      return w.error();
    // The socket file appears a moment before charon accepts on it: retry briefly.
    Result<std::string> loaded = std::string();
    for (int i = 0; i < 50; ++i) {
      loaded = run_command({kSwanctlPath, "--load-all", "--noprompt", "--uri", "unix://" + vici},
                           swan_env);
      if (loaded) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!loaded) return loaded.error();
  }
  return r;
}

} // namespace ikekit::bench
