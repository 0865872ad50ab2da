// ike-decode: decode captured IKEv2/ESP traffic and decrypt it given keys (ike-decode(1)).
#include "cli/app.hpp"
#include "cli/report.hpp"
#include "decode/json_header.hpp"
#include "decode/json_output.hpp"
#include "decode/session.hpp"

#include <iostream>

using namespace ikekit;

namespace {

constexpr const char* kTool = "ike-decode";

struct Options {
  cli::CommonOptions common;
  decode::SessionOptions session;
  std::string emit_wireshark;
  std::string keys_format = "auto";
};

} // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Decode captured IKEv2 and ESP traffic and decrypt it given keys", kTool};
  cli::add_common_flags(app, opt.common, kTool);
  app.add_option("--keys", opt.session.key_files,
                 "Key file (ikekit key log, Wireshark ikev2_decryption_table or esp_sa, "
                 "strongSwan charon log at ike 4/chd 4, Libreswan pluto log); repeatable");
  app.add_option("--keys-format", opt.keys_format,
                 "Format of every --keys file: auto (detected from the content), ikekit, "
                 "wireshark-ikev2, wireshark-esp, charon, pluto");
  app.add_option("--ike-port", opt.session.ike_ports,
                 "Also decode this UDP port as IKE; repeatable")
      ->check(CLI::Range(1, 65535));
  app.add_option("--tcp-port", opt.session.tcp_ports,
                 "Also decode TCP streams on this port as RFC 9329 IKE/ESP; repeatable")
      ->check(CLI::Range(1, 65535));
  app.add_option("--emit-wireshark", opt.emit_wireshark,
                 "Write Wireshark key tables for every known SA into DIR");
  app.add_option("capture", opt.session.capture, "pcap or pcapng file")->required();
  if (int rc = cli::parse_args(app, kTool, argc, argv); rc >= 0) return rc;

  auto key_format = decode::parse_key_format(opt.keys_format);
  if (!key_format) return cli::report_error(kTool, key_format.error());
  opt.session.key_format = *key_format;
  auto session = decode::DecodeSession::open(opt.session);
  if (!session) return cli::report_error(kTool, session.error());

  for (const auto& f : (*session)->key_files()) {
    if (f.ike_sas == 0 && f.child_sas == 0)
      std::cerr << kTool << ": --keys " << f.path << ": holds no keys\n";
    for (const auto& e : f.problems)
      std::cerr << kTool << ": --keys " << e.field << ": " << e.message << "\n";
  }

  json::JsonOutput out(std::cout, opt.common.pretty);
  out.write(decode::decode_header_json(cli::version_line(kTool), opt.session.capture,
                                       (*session)->key_files()));
  decode::DecodeJsonSink sink(out);
  auto run = (*session)->run(sink);
  const decode::Summary& summary = (*session)->summary();
  out.write(decode::summary_to_json(summary));
  if (!run) return cli::report_error(kTool, run.error(), cli::kExitFailure);
  if (!out.ok()) {
    std::cerr << kTool << ": stdout: write failed (the reader closed the pipe); output lost\n";
    return cli::kExitFailure;
  }

  if (!opt.emit_wireshark.empty()) {
    auto exported = (*session)->emit_wireshark(opt.emit_wireshark);
    if (!exported) return cli::report_error(kTool, exported.error());
    for (const auto& why : exported->skipped)
      std::cerr << kTool << ": --emit-wireshark: left out " << why << "\n";
  }
  // Exit 4 when something could not be decoded: malformed input, or an encrypted
  // payload or ESP packet that had keys and still did not decrypt (wrong key, failed
  // ICV, unknown algorithm). Packets of SAs without keys are reported and counted
  // (summary.no_key) but do not make the run partial: everything that had keys decrypted.
  bool had_keys = !opt.session.key_files.empty();
  if (had_keys && summary.no_key > 0)
    std::cerr
        << kTool << ": " << summary.no_key
        << " encrypted packet(s) had no key in the key files (see \"problem\" on their lines)\n";
  if (summary.unmatched_keys > 0)
    std::cerr
        << kTool << ": " << summary.unmatched_keys
        << " key block(s) of the logs matched no SA in the capture (\"unmatched_keys\" lines)\n";
  // A rule violation decodes fine, so it does not change the exit code; but a peer
  // drops such a message, which is what the person reading the capture wants to know.
  if (summary.payload_rule_violations > 0)
    std::cerr << kTool << ": " << summary.payload_rule_violations
              << " message(s) break RFC 7296's payload rules and would be dropped by the "
                 "engine (\"payload_rules_error\" on their lines)\n";
  if (summary.malformed > 0 || summary.undecryptable > summary.no_key) return cli::kExitPartial;
  return cli::kExitOk;
}
