// ike-bench handshake: IKE_SA_INIT + IKE_AUTH handshakes per second, latency, CPU and
// wire cost, in-process or over UDP (bench/handshake.hpp).
#include "cmd_handshake.hpp"

#include "bench/handshake.hpp"
#include "bench/handshake_udp_compare.hpp"
#include "bench/process.hpp"
#include "cli/report.hpp"

#include <iostream>

namespace ikekit::bench_tool {

namespace {

Result<bench::HandshakeAuth> parse_auth(const std::string& s) {
  if (s == "psk") return bench::HandshakeAuth::psk;
  if (s == "ecdsa") return bench::HandshakeAuth::ecdsa;
  if (s == "rsa") return bench::HandshakeAuth::rsa;
  if (s == "ed25519") return bench::HandshakeAuth::ed25519;
  return make_error(Errc::usage, "--auth", "\"" + s + "\": expected psk, ecdsa, rsa or ed25519");
}

} // namespace

CLI::App* add_handshake_command(CLI::App& app, HandshakeArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "handshake", "IKE_SA_INIT + IKE_AUTH handshakes (with the first Child SA): rate, latency "
                   "percentiles, CPU, messages and bytes per handshake");
  cmd->add_option(
      "--mode", args.mode,
      "inproc: two engines in one process, no sockets; udp: over real UDP (default inproc)");
  auto* count =
      cmd->add_option("--count", args.count, "Handshakes to complete (default: run for --duration)")
          ->check(CLI::Range(size_t(1), size_t(100'000'000)));
  cmd->add_option("--duration", args.duration, "How long to start handshakes, e.g. 3s (default 2s)")
      ->excludes(count);
  cmd->add_option("--concurrency", args.concurrency,
                  "IKE SAs in flight at once (default 1 for inproc)")
      ->check(CLI::Range(size_t(1), size_t(100'000)));
  cmd->add_option("--ike-proposal", args.ike_proposal,
                  "IKE proposal, strongSwan syntax (default aes256gcm16-prfsha256-x25519)");
  cmd->add_option("--esp-proposal", args.esp_proposal, "ESP proposal (default aes256gcm16)");
  cmd->add_option(
      "--auth", args.auth,
      "psk, or certificates with a built-in test chain: ecdsa (P-256), rsa (2048), ed25519");
  cmd->add_option("--target", args.target,
                  "udp: a running responder ADDR[:PORT] instead of one ike-bench starts");
  cmd->add_option(
      "--peer", args.peer,
      "udp without --target: the responder to start, ikekit or strongswan (default ikekit)");
  auto* psk = cmd->add_option(
      "--psk-file", args.psk_file,
      "udp --target: file holding the responder's pre-shared key (as ike-up --psk-file)");
  auto* compare = cmd->add_flag("--compare", args.compare,
                                "udp: ike-up and strongSwan as responders alternately in one run, "
                                "with ratios (ikekit vs strongswan)");
  compare->excludes(cmd->get_option("--target"))
      ->excludes(cmd->get_option("--peer"))
      ->excludes(psk);
  cmd->add_option("--ike-up-arg", args.ike_up_args,
                  "udp: one more flag for the ike-up responder ike-bench starts, e.g. "
                  "--ike-up-arg=--threads=1 (repeatable)")
      ->allow_extra_args(false)
      ->excludes(cmd->get_option("--target"));
  cmd->add_option("--rounds", args.rounds, "With --compare: rounds per peer (default 3)")
      ->check(CLI::Range(1, 100))
      ->needs(compare);
  return cmd;
}

namespace {
void print_result_error(const bench::HandshakeResult& r) {
  std::cerr << kTool << ": " << r.name << ": " << r.error->field << ": " << r.error->message
            << "\n";
}
} // namespace

int run_handshake(const GlobalOptions& g, const HandshakeArgs& args,
                  const std::optional<json::Json>& baseline) {
  bench::HandshakeOptions opts;
  opts.mode = args.mode;
  opts.count = args.count;
  if (!args.duration.empty()) {
    auto d = cli::parse_duration(args.duration, "--duration");
    if (!d) return cli::report_error(kTool, d.error());
    opts.duration = *d;
  }
  opts.concurrency = args.concurrency;
  opts.ike_proposal = args.ike_proposal;
  opts.esp_proposal = args.esp_proposal;
  auto auth = parse_auth(args.auth);
  if (!auth) return cli::report_error(kTool, auth.error());
  opts.auth = *auth;
  opts.target = args.target;
  opts.peer = args.peer;
  opts.psk_file = args.psk_file;
  opts.ike_up_args = args.ike_up_args;
  if (auto ok = bench::check_handshake_options(opts); !ok)
    return cli::report_error(kTool, ok.error());
  // udp: namespaces and a responder exist; a stop signal ends the run through its cleanup.
  if (opts.mode == "udp") bench::install_stop_signals();

  if (args.compare) {
    if (opts.mode != "udp")
      return cli::report_error(kTool, make_error(Errc::usage, "--compare", "needs --mode udp"));
    json::Json results = json::Json::array();
    bool failed = false;
    {
      Progress progress;
      auto on_progress = [&](size_t completed, size_t nfailed) {
        progress.update("handshake udp --compare: " + std::to_string(completed) + " done" +
                        (nfailed ? ", " + std::to_string(nfailed) + " failed" : ""));
      };
      int rounds = args.rounds > 0 ? args.rounds : bench::kDefaultCompareRounds;
      for (const auto& r : bench::run_handshake_udp_compare(opts, rounds, on_progress)) {
        if (r.error) {
          failed = true;
          print_result_error(r);
        }
        results.push_back(bench::handshake_result_to_json(r));
      }
    }
    return finish(g, baseline, std::move(results), failed);
  }

  bench::HandshakeResult r;
  {
    Progress progress;
    auto on_progress = [&](size_t completed, size_t failed) {
      progress.update("handshake " + opts.mode + ": " + std::to_string(completed) + " done" +
                      (failed ? ", " + std::to_string(failed) + " failed" : ""));
    };
    r = opts.mode == "udp" ? bench::run_handshake_udp(opts, on_progress)
                           : bench::run_handshake_inproc(opts, on_progress);
  }
  // A mode that cannot run here (unsupported, environment) is not a measurement:
  // report it like any other error, with its exit code.
  if (r.error && r.completed == 0 &&
      (r.error->code == Errc::unsupported || r.error->code == Errc::environment ||
       r.error->code == Errc::usage))
    return cli::report_error(
        kTool, *r.error, r.error->code == Errc::usage ? cli::kExitUsage : cli::kExitEnvironment);
  if (r.error) print_result_error(r);
  json::Json results = json::Json::array();
  results.push_back(bench::handshake_result_to_json(r));
  return finish(g, baseline, std::move(results), r.error.has_value());
}

} // namespace ikekit::bench_tool
