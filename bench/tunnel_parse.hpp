// Parsers for what ike-bench tunnel reads back from the tools it runs: iperf3's JSON
// report (-J) and iputils ping's text output. Pure functions over text, so the unit
// tests can feed canned output.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ikekit::bench {

struct IperfReport {
  double received_bits_per_s = 0; // end.sum_received: what crossed the path
  double sent_bits_per_s = 0;     // end.sum_sent
  uint64_t received_bytes = 0;
  double seconds = 0;                  // end.sum_received.seconds
  std::optional<uint64_t> retransmits; // end.sum_sent.retransmits (TCP only)
  int streams = 0;                     // entries of end.streams
};

// An iperf3 -J document of a finished TCP test. A document with a top-level "error"
// (iperf3's own failure report: "unable to connect to server ...") is Errc::io naming
// that message; anything else without end.sum_received.bits_per_second is
// Errc::bad_value, field "iperf3.end.sum_received".
Result<IperfReport> parse_iperf3_json(std::string_view text);

struct PingReport {
  std::vector<double> rtt_ms;   // one per echo reply, in arrival order ("time=0.071 ms")
  int transmitted = 0;          // "N packets transmitted"
  int received = 0;             // ", M received"
  std::optional<double> avg_ms; // the "rtt min/avg/max/mdev" summary line, when present
};

// Output of `ping -n` (iputils). Replies are lines containing "icmp_seq=" and
// "time=X ms" (also "time<1 ms"-less forms like "time=1.23 ms"); duplicates ("DUP!")
// are skipped. Errc::bad_value, field "ping", when there is no statistics line.
Result<PingReport> parse_ping_output(std::string_view text);

} // namespace ikekit::bench
