// ike-bench handshake (cmd_handshake.cpp): every flag of both modes; the measuring is
// bench/handshake_inproc.cpp and bench/handshake_udp.cpp.
#pragma once

#include "bench_cli.hpp"

#include <optional>
#include <string>

namespace ikekit::bench_tool {

struct HandshakeArgs {
  std::string mode = "inproc"; // --mode inproc|udp
  size_t count = 0;            // --count N (0: run for --duration)
  std::string duration;        // --duration DUR (default 2s)
  size_t concurrency = 0;      // --concurrency C (0: the mode's default)
  std::string ike_proposal = "aes256gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes256gcm16";
  std::string auth = "psk";             // --auth psk|ecdsa|rsa|ed25519
  std::string target;                   // --target ADDR[:PORT] (udp)
  std::string peer = "ikekit";          // --peer ikekit|strongswan (udp)
  std::string psk_file;                 // --psk-file FILE (udp --target: the responder's PSK)
  bool compare = false;                 // --compare (udp): ike-up and strongSwan alternately
  int rounds = 0;                       // --rounds N with --compare (0: the default)
  std::vector<std::string> ike_up_args; // --ike-up-arg (udp, ike-up responder)
};
CLI::App* add_handshake_command(CLI::App& app, HandshakeArgs& args);
int run_handshake(const GlobalOptions& g, const HandshakeArgs& args,
                  const std::optional<json::Json>& baseline);

} // namespace ikekit::bench_tool
