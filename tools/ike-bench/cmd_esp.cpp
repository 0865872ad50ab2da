// ike-bench esp: ESP seal/open throughput next to raw OpenSSL (bench/esp_bench.hpp).
#include "bench/esp_bench.hpp"
#include "cli/report.hpp"
#include "commands.hpp"

#include <iostream>

namespace ikekit::bench_tool {

CLI::App* add_esp_command(CLI::App& app, EspArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "esp", "ESP seal and open throughput per cipher and payload size, with the ratio to the "
             "raw OpenSSL primitive measured on the same buffers");
  cmd->add_option("--cipher", args.ciphers,
                  "ESP suite as a strongSwan proposal (aes256gcm16, aes128-sha256); repeatable; "
                  "default aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256 aes256-sha512");
  cmd->add_option("--size", args.sizes, "Payload bytes; repeatable; default 64 512 1400 8192");
  cmd->add_option("--duration", args.duration,
                  "Measuring time per cipher and size, e.g. 500ms or 2s (default 500ms)");
  cmd->add_option("--rounds", args.rounds, "Interleaved rounds per cipher and size (default 7)")
      ->check(CLI::Range(1, 1000));
  return cmd;
}

int run_esp(const GlobalOptions& g, const EspArgs& args,
            const std::optional<json::Json>& baseline) {
  bench::EspBenchOptions opts;
  if (!args.ciphers.empty()) opts.ciphers = args.ciphers;
  if (!args.sizes.empty()) opts.sizes = args.sizes;
  opts.rounds = args.rounds;
  auto d = cli::parse_duration(args.duration, "--duration");
  if (!d) return cli::report_error(kTool, d.error());
  opts.duration = *d;
  if (auto ok = bench::check_esp_options(opts); !ok) return cli::report_error(kTool, ok.error());

  json::Json results = json::Json::array();
  bool failed = false;
  {
    Progress progress;
    auto on_case = [&](const bench::EspProgress& p) {
      progress.update("esp " + std::to_string(p.index + 1) + "/" + std::to_string(p.total) + " " +
                      std::string(p.cipher) + " " + std::to_string(p.size_bytes) + " bytes");
    };
    for (const auto& r : bench::run_esp_bench(opts, on_case)) {
      if (r.error) {
        failed = true;
        std::cerr << kTool << ": " << r.name << " " << r.cipher << " " << r.size_bytes
                  << " bytes: " << r.error->field << ": " << r.error->message << "\n";
      }
      results.push_back(bench::esp_result_to_json(r));
    }
  }
  return finish(g, baseline, std::move(results), failed);
}

} // namespace ikekit::bench_tool
