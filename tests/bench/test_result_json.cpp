// The esp and tunnel documents for fixed results, byte for byte (ikekit-json(7)): rates
// rounded as documented, whole packet and byte rates as integers, and null, not 0, for
// what a failed run did not measure.
#include "bench/esp_bench.hpp"
#include "bench/selector_bench.hpp"
#include "bench/tunnel_bench.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::bench;

TEST_CASE("esp document: rounded rates and ratios, null when unmeasured") {
  EspCaseResult r;
  r.name = "esp_seal";
  r.cipher = "aes256gcm16";
  r.size_bytes = 1400;
  r.raw_primitive = "aead";
  r.raw_text_bytes = 1402;
  r.esp_pps = {1000000.4, 1100000.6, 1050000.5};
  r.raw_pps = {1200000.25, 1300000.75};
  r.ratios = {0.833333333, 0.846153846, 0.9};
  CHECK(
      esp_result_to_json(r).dump() ==
      R"({"name":"esp_seal","params":{"cipher":"aes256gcm16","size_bytes":1400},"packets_per_s":1050001,"bytes_per_s":1470000700,"spread_pct":9.52,"rounds":3,"raw":{"primitive":"aead","text_bytes":1402,"packets_per_s":1250001,"bytes_per_s":1750000700,"spread_pct":8.0},"ratio":{"vs_openssl_raw":0.8462},"error":null})");
  EspCaseResult failed;
  failed.name = "esp_open";
  failed.cipher = "aes128gcm16";
  failed.size_bytes = 64;
  failed.error = make_error(Errc::io, "esp", "no cipher");
  CHECK(
      esp_result_to_json(failed).dump() ==
      R"({"name":"esp_open","params":{"cipher":"aes128gcm16","size_bytes":64},"packets_per_s":null,"bytes_per_s":null,"spread_pct":null,"rounds":0,"raw":{"primitive":null,"text_bytes":null,"packets_per_s":null,"bytes_per_s":null,"spread_pct":null},"ratio":{"vs_openssl_raw":null},"error":{"code":"io","field":"esp","message":"no cipher"}})");
}

TEST_CASE("tunnel document: medians as measured, null when the run failed") {
  TunnelOptions o;
  TunnelResult r;
  r.peer = Peer::ikekit;
  r.cipher = "aes256gcm16";
  r.backend = "tun";
  TunnelRound a{9.5e8, 1.25e9, 3, 0.75, {0.5, 0.25, 1.5}, 0.75, 20, 19};
  TunnelRound b{8.5e8, 1.5e9, std::nullopt, std::nullopt, {0.125}, 0.125, 20, 20};
  r.rounds = {a, b};
  r.ratios = {{"vs_strongswan", 1.5}};
  CHECK(
      tunnel_result_to_json(r, o).dump() ==
      R"({"name":"tunnel","params":{"peer":"ikekit","cipher":"aes256gcm16","backend":"tun","transport":"udp","streams":4,"duration_s":5},"tcp_single_bits_per_s":900000000.0,"tcp_single_bytes_per_s":112500000.0,"tcp_multi_bits_per_s":1375000000.0,"tcp_multi_bytes_per_s":171875000.0,"tcp_single_retransmits":3,"tcp_single_cpu_s_per_gbit":0.75,"ping_rtt_avg_ms":0.59375,"ping_rtt_ms":{"p50":0.25,"p99":1.5,"avg":0.59375,"min":0.125,"max":1.5},"ping_sent":40,"ping_received":39,"rounds":2,"ratio":{"vs_strongswan":1.5},"error":null})");
  TunnelResult failed;
  failed.peer = Peer::wireguard_go;
  failed.error = make_error(Errc::environment, "--peer", "wireguard-go not found");
  CHECK(
      tunnel_result_to_json(failed, o).dump() ==
      R"({"name":"tunnel","params":{"peer":"wireguard-go","cipher":null,"backend":null,"transport":"udp","streams":4,"duration_s":5},"tcp_single_bits_per_s":null,"tcp_single_bytes_per_s":null,"tcp_multi_bits_per_s":null,"tcp_multi_bytes_per_s":null,"tcp_single_retransmits":null,"tcp_single_cpu_s_per_gbit":null,"ping_rtt_avg_ms":null,"ping_rtt_ms":null,"ping_sent":null,"ping_received":null,"rounds":0,"error":{"code":"environment","field":"--peer","message":"wireguard-go not found"}})");
}

TEST_CASE("selector bench: six cases, every packet finds its SA, one document each") {
  SelectorBenchOptions o;
  o.duration = std::chrono::milliseconds(12);
  o.rounds = 2;
  auto results = run_selector_bench(o);
  REQUIRE(results.size() == 6);
  for (const auto& r : results) {
    CHECK(r.mismatches == 0); // the table and the inbound check agree with how the ring was built
    CHECK(r.ns.size() == 2);
  }
  CHECK(results[0].direction == "outbound");
  CHECK(results[5].direction == "inbound");
  CHECK(results[5].packet == "ipv6_udp");
  SelectorCaseResult r{"inbound", "ipv4_tcp", {40.5, 50.0, 45.0}, 0};
  CHECK(
      selector_result_to_json(r).dump() ==
      R"({"name":"selector_read","params":{"direction":"inbound","packet":"ipv4_tcp","sas":64},"per_packet_ns":45.0,"spread_pct":21.11,"rounds":3,"mismatches":0})");
}
