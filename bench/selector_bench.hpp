// `ike-bench selector`: what the ESP data plane's traffic-selector step costs per packet
// (lib/esp/selector.cpp, selector_table.cpp), outbound and inbound, for IPv4/UDP,
// IPv4/TCP and IPv6/UDP.
//
// Outbound is what OutboundPipeline::seal_one does before sealing: read_packet_selector
// then SelectorTable::lookup, here in a table of kSelectorBenchSas SAs (one pair each:
// a local /16 or /48 to a remote /24 or /56 of its own, IPv4 and IPv6 tables apart), the
// packets spread over all of them. Inbound is what InboundPipeline does after opening:
// read_packet_selector then check_inbound against the opening SA's pairs. A ring of
// packets (built once, varying addresses and ports) is read over and over; rounds
// alternate the cases so machine noise hits all alike; each case reports the median of
// its rounds in ns per packet.
#pragma once

#include "base/time.hpp"

#include "json/output.hpp"
#include <string>
#include <vector>

namespace ikekit::bench {

inline constexpr size_t kSelectorBenchSas = 64;

struct SelectorBenchOptions {
  Duration duration{std::chrono::milliseconds(300)}; // timed per case, over all rounds
  int rounds = 7;
};

struct SelectorCaseResult {
  std::string direction;   // "outbound" or "inbound"
  std::string packet;      // "ipv4_udp", "ipv4_tcp", "ipv6_udp"
  std::vector<double> ns;  // per round: ns per packet
  uint64_t mismatches = 0; // packets the step did not find their SA for (must be 0)
};

// Six cases: outbound then inbound, each for the three packet kinds.
std::vector<SelectorCaseResult> run_selector_bench(const SelectorBenchOptions& opts);

// {"name":"selector_read","params":{"direction","packet","sas"},"per_packet_ns",
//  "spread_pct","rounds","mismatches"}.
json::Json selector_result_to_json(const SelectorCaseResult& r);

} // namespace ikekit::bench
