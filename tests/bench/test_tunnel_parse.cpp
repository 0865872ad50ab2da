// bench/tunnel_parse: iperf3 -J reports and iputils ping output, from canned text as
// iperf 3.12 and iputils 20221126 (Debian 12) print them.
#include "bench/tunnel_parse.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ikekit;
using namespace ikekit::bench;

namespace {

const char* kIperfTwoStreams = R"({
  "start": {"connected": [], "version": "iperf 3.12"},
  "intervals": [],
  "end": {
    "streams": [{"sender": {"bytes": 262668288}}, {"sender": {"bytes": 267911168}}],
    "sum_sent": {"start": 0, "end": 1.000218, "seconds": 1.000218, "bytes": 530579456,
                 "bits_per_second": 4243710519.1068344, "retransmits": 3, "sender": true},
    "sum_received": {"start": 0, "end": 1.002366, "seconds": 1.002366, "bytes": 525336576,
                     "bits_per_second": 4192772508.245491, "sender": true},
    "cpu_utilization_percent": {"host_total": 90.1}
  }
})";

} // namespace

TEST_CASE("iperf3 -J: the received sum, sent rate, retransmits and stream count") {
  auto r = parse_iperf3_json(kIperfTwoStreams);
  REQUIRE(r);
  CHECK(r->received_bits_per_s == Approx(4192772508.245491));
  CHECK(r->sent_bits_per_s == Approx(4243710519.1068344));
  CHECK(r->received_bytes == 525336576u);
  CHECK(r->seconds == Approx(1.002366));
  REQUIRE(r->retransmits);
  CHECK(*r->retransmits == 3u);
  CHECK(r->streams == 2);
}

TEST_CASE("iperf3 -J: iperf3's own error report is an io error with its message") {
  auto r = parse_iperf3_json(R"({"start":{},"intervals":[],"end":{},
    "error":"unable to connect to server: Connection refused"})");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io);
  CHECK(r.error().message.find("Connection refused") != std::string::npos);
}

TEST_CASE("iperf3 -J: no end.sum_received, or not JSON, names the field") {
  auto r = parse_iperf3_json(R"({"end":{"sum_sent":{"bits_per_second":1}}})");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_value);
  CHECK(r.error().field == "iperf3.end.sum_received");
  auto t = parse_iperf3_json("iperf3: error - unable to connect");
  REQUIRE_FALSE(t);
  CHECK(t.error().field == "iperf3");
  CHECK_FALSE(parse_iperf3_json(""));
  CHECK_FALSE(parse_iperf3_json(R"({"end":{"sum_received":{"bits_per_second":"fast"}}})"));
}

TEST_CASE("ping: every reply's time, the counts and the summary average") {
  const char* out =
      "PING 10.253.1.2 (10.253.1.2) from 10.253.1.1 : 56(84) bytes of data.\n"
      "64 bytes from 10.253.1.2: icmp_seq=1 ttl=64 time=0.055 ms\n"
      "64 bytes from 10.253.1.2: icmp_seq=2 ttl=64 time=0.082 ms\n"
      "64 bytes from 10.253.1.2: icmp_seq=2 ttl=64 time=0.090 ms (DUP!)\n"
      "64 bytes from 10.253.1.2: icmp_seq=4 ttl=64 time=12.5 ms\n"
      "\n"
      "--- 10.253.1.2 ping statistics ---\n"
      "4 packets transmitted, 3 received, +1 duplicates, 25% packet loss, time 125ms\n"
      "rtt min/avg/max/mdev = 0.055/4.212/12.500/5.867 ms\n";
  auto r = parse_ping_output(out);
  REQUIRE(r);
  REQUIRE(r->rtt_ms.size() == 3); // the duplicate is not a sample
  CHECK(r->rtt_ms[0] == Approx(0.055));
  CHECK(r->rtt_ms[1] == Approx(0.082));
  CHECK(r->rtt_ms[2] == Approx(12.5));
  CHECK(r->transmitted == 4);
  CHECK(r->received == 3);
  REQUIRE(r->avg_ms);
  CHECK(*r->avg_ms == Approx(4.212));
}

TEST_CASE("ping: all lost is a report with no samples, no statistics line is an error") {
  auto lost =
      parse_ping_output("PING 10.253.1.2 (10.253.1.2) 56(84) bytes of data.\n\n"
                        "--- 10.253.1.2 ping statistics ---\n"
                        "3 packets transmitted, 0 received, 100% packet loss, time 2030ms\n\n");
  REQUIRE(lost);
  CHECK(lost->rtt_ms.empty());
  CHECK(lost->transmitted == 3);
  CHECK(lost->received == 0);
  CHECK_FALSE(lost->avg_ms);
  auto none = parse_ping_output("ping: connect: Network is unreachable\n");
  REQUIRE_FALSE(none);
  CHECK(none.error().field == "ping");
  CHECK_FALSE(parse_ping_output(""));
}

TEST_CASE("ping: a reply line without a time, or with a bad one, adds no sample") {
  auto r = parse_ping_output("64 bytes from 10.0.0.2: icmp_seq=1 ttl=64\n"
                             "64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=x ms\n"
                             "2 packets transmitted, 2 received, 0% packet loss, time 1ms\n");
  REQUIRE(r);
  CHECK(r->rtt_ms.empty());
  CHECK(r->received == 2);
}
