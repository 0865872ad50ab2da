#include "bench/responder.hpp"

#include "bench/files.hpp"

#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;
constexpr milliseconds kReadyTimeout{10000};

Result<std::string> find_ike_up(const ResponderSpec& spec) {
  if (!spec.ike_up_binary.empty()) {
    if (access(spec.ike_up_binary.c_str(), X_OK) == 0) return spec.ike_up_binary;
    return make_error(Errc::environment, "--peer",
                      spec.ike_up_binary + ": not an executable ike-up");
  }
  return find_tool_beside("ike-up", "--peer");
}

} // namespace

Result<void> Responder::start_ike_up(const ResponderSpec& spec) {
  auto bin = find_ike_up(spec);
  if (!bin) return bin.error();
  std::string psk_path = spec.dir + "/psk";
  if (auto w = write_private_file(psk_path, spec.psk); !w) return w.error();
  std::string control = spec.control_socket.empty() ? "none" : spec.control_socket;
  std::vector<std::string> argv = {*bin,
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
                                   control,
                                   "--dpd-delay",
                                   "0",
                                   "--unique",
                                   "never"};
  program_ = "ike-up";
  // --unique never as charon's connections.bench.unique below (and so that --threads auto
  // may split the connection between engines, ike-up(8)).
  settings_ = {"--dataplane none", "--control-socket " + control, "--dpd-delay 0", "--unique never",
               "events to /dev/null"};
  // Like charon's cookie_threshold, block_threshold and init_limit_half_open: no COOKIE
  // round trips and no half-open limits under the benchmark's load from one address.
  if (spec.unthrottled) {
    argv.insert(argv.end(), {"--cookie-threshold", "1000000", "--half-open-limit", "0",
                             "--half-open-limit-per-ip", "0"});
    settings_.push_back("--cookie-threshold 1000000");
    settings_.push_back("--half-open-limit 0 --half-open-limit-per-ip 0");
  }
  for (const auto& a : spec.extra_args) {
    argv.push_back(a);
    settings_.push_back(a);
  }
  log_path_ = spec.dir + "/responder.log";
  auto child = Child::spawn(Command(argv, {}, spec.netns), "/dev/null", log_path_);
  if (!child) return child.error();
  ike_up_ = std::move(*child);
  return {};
}

Result<void> Responder::start_charon(const ResponderSpec& spec) {
  CharonSettings s;
  s.dir = spec.dir;
  s.log_level = -1; // a benchmark measures the daemon, not its log; errors reach stderr
  s.routes = false;
  s.unthrottled = spec.unthrottled;
  SwanConnection c;
  c.name = "bench";
  c.local_addrs = spec.address.to_string();
  c.proposals = spec.ike_proposal;
  c.esp_proposals = spec.esp_proposal;
  c.local_ts = spec.local_ts;
  c.remote_ts = spec.remote_ts;
  c.psk = spec.psk;
  c.keep_duplicates = true;
  auto charon = Charon::start(spec.netns, s, swanctl_conf(c));
  if (!charon) return charon.error();
  charon_ = std::make_unique<Charon>(std::move(*charon));
  program_ = "charon-systemd";
  log_path_ = spec.dir + "/stderr.log";
  for (const auto& line : charon_settings(s))
    settings_.push_back("charon." + line);
  settings_.push_back("charon.filelog/syslog/journal default = -1");
  settings_.push_back("connections.bench.unique = never");
  return {};
}

Result<void> Responder::check_alive() {
  if (process().running()) return {};
  std::string tail = file_tail(log_path_);
  return make_error(Errc::io, "responder",
                    program_ + " " + process().exit_status() + (tail.empty() ? "" : ": " + tail));
}

Result<std::unique_ptr<Responder>> Responder::start(const ResponderSpec& spec) {
  std::unique_ptr<Responder> r(new Responder());
  Result<void> started =
      make_error(Errc::usage, "--peer", "\"" + spec.peer + "\": expected ikekit or strongswan");
  if (spec.peer == "ikekit") started = r->start_ike_up(spec);
  if (spec.peer == "strongswan") started = r->start_charon(spec);
  if (!started) return started.error();
  pid_t pid = r->pid();
  auto bound = wait_until(
      [&] {
        return udp_ports_bound(pid, {500, 4500});
      },
      [&] { return r->check_alive(); }, kReadyTimeout, "responder", milliseconds(5));
  if (!bound) return bound.error();
  return r;
}

} // namespace ikekit::bench
