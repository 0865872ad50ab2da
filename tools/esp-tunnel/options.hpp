// esp-tunnel's command line: the flags (esp-tunnel(8)) and their conversion into a
// data plane configuration. Every error is Errc::usage naming the flag.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "cli/app.hpp"
#include "io/dataplane/child_sa.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "io/xfrm.hpp"
#include "seq_state.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace esp_tunnel {

// The tool name in error messages and --version.
inline constexpr const char* kTool = "esp-tunnel";

enum class Backend { tun, xfrm };

// The flags as typed.
struct Flags {
  ikekit::cli::CommonOptions common;
  std::string backend = "tun";
  std::string local, remote;
  std::string spi_in, spi_out;
  std::string cipher, key_in, key_out;
  std::string integ, integ_key_in, integ_key_out;
  std::string keys;
  bool udp_encap = true;
  int port = 4500;
  std::string mode = "tunnel";
  std::string tun_name;
  std::vector<std::string> tun_addr;
  std::vector<std::string> routes;
  int mtu = 1400;
  bool offload = true;    // --no-offload
  long busy_poll_us = -1; // --busy-poll; -1: not given (the data plane's default)
  long replay_window = 1024;
  std::string stats_interval;
  std::string mark;                         // --mark VALUE[/MASK] (xfrm)
  std::string if_id;                        // --if-id N (xfrm)
  std::string state_dir = kDefaultStateDir; // outbound sequence state (tun)
  bool keys_are_fresh = false;              // consent: no state, start at 1
};

// What the tool runs with, checked.
struct Options {
  ikekit::cli::CommonOptions common;
  Backend backend = Backend::tun;
  ikekit::io::dataplane::ChildSaSpec sa; // keys, endpoints, mode, selectors
  std::string tun_name;
  std::vector<ikekit::io::Prefix> tun_addr;
  std::vector<ikekit::io::Prefix> routes;
  uint32_t mtu = 1400;
  bool offload = true; // TUN TSO/GRO and UDP GSO/GRO (esp-tunnel(8) OFFLOADS)
  // TUN: polling after traffic before sleeping (esp-tunnel(8) LATENCY)
  std::chrono::microseconds busy_poll = ikekit::io::dataplane::kDefaultBusyPoll;
  std::optional<ikekit::Duration> stats_interval;
  std::string keys_file; // "" when keys came from flags
  // XFRM only: XFRMA_MARK / XFRMA_IF_ID on both states and every policy.
  std::optional<ikekit::io::XfrmMark> mark;
  std::optional<uint32_t> if_id;
  // TUN only (esp-tunnel(8) SEQUENCE NUMBERS): where the outbound sequence number is
  // kept across runs, or keys_are_fresh: none is kept and the sequence starts at 1.
  std::string state_dir = kDefaultStateDir;
  bool keys_are_fresh = false;
  bool keys_on_command_line = false; // hex keys in argv: main() warns
};

void add_flags(CLI::App& app, Flags& f);
ikekit::Result<Options> make_options(const Flags& f);

std::string_view backend_name(Backend b);

// "42", "0x2a", "0x2a/0xff" (mask default 0xffffffff), as ip-xfrm(8) takes them.
ikekit::Result<ikekit::io::XfrmMark> parse_mark(const std::string& text, const std::string& flag);
// A 32-bit number, decimal or 0x hex.
ikekit::Result<uint32_t> parse_u32(const std::string& text, const std::string& flag);

} // namespace esp_tunnel
