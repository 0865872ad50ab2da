// bench/gate and bench/context: matching results by name and params, the direction of
// each metric, the gate document, baseline checking, and the crypto CPU flag filter.
#include "bench/context.hpp"
#include "bench/gate.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

using namespace ikekit;
using namespace ikekit::bench;
using json::Json;

namespace {
Json doc(Json results) {
  return {{"schema", "ikekit.ike-bench/1"}, {"context", Json::object()}, {"results", results}};
}
Json seal(std::string cipher, double pps, double ratio, Json error = nullptr) {
  return {{"name", "esp_seal"},
          {"params", {{"cipher", cipher}, {"size_bytes", 1400}}},
          {"packets_per_s", pps},
          {"bytes_per_s", pps * 1400},
          {"spread_pct", 3.5},
          {"rounds", 7},
          {"ratio", {{"vs_openssl_raw", ratio}}},
          {"error", error}};
}
} // namespace

TEST_CASE("gate: identical documents pass, every directed metric compared") {
  Json d = doc({seal("aes256gcm16", 1000, 0.9), seal("aes128gcm16", 2000, 0.95)});
  GateReport r = run_gate(d, d, 10);
  CHECK(r.passed());
  CHECK(r.regressions.empty());
  CHECK(r.compared == 6); // packets_per_s, bytes_per_s, ratio.vs_openssl_raw per result
  CHECK(r.unmatched.empty());
}

TEST_CASE("gate: a drop of more than PCT in a rate or ratio is a regression") {
  Json base = doc({seal("aes256gcm16", 1000, 0.90), seal("aes128gcm16", 2000, 0.95)});
  Json cur = doc({seal("aes256gcm16", 850, 0.90), seal("aes128gcm16", 1900, 0.80)});
  GateReport r = run_gate(base, cur, 10);
  CHECK_FALSE(r.passed());
  REQUIRE(r.regressions.size() == 3);
  CHECK(r.regressions[0].name == "esp_seal");
  CHECK(r.regressions[0].params == Json{{"cipher", "aes256gcm16"}, {"size_bytes", 1400}});
  CHECK(r.regressions[0].metric == "packets_per_s");
  CHECK(r.regressions[0].baseline == 1000);
  CHECK(r.regressions[0].current == 850);
  CHECK(r.regressions[0].change_pct == Approx(-15.0));
  CHECK(r.regressions[1].metric == "bytes_per_s");
  CHECK(r.regressions[2].metric == "ratio.vs_openssl_raw"); // aes128gcm16: -5 % pps passes
  CHECK(r.regressions[2].change_pct == Approx(-15.789473684));

  Json g = gate_to_json(r, "base.json", 10);
  CHECK(g["baseline"] == "base.json");
  CHECK(g["max_regression_pct"] == 10.0);
  CHECK(g["passed"] == false);
  CHECK(g["regressions"].size() == 3);
  CHECK(g["regressions"][0]["metric"] == "packets_per_s");
  CHECK(g["regressions"][0]["current"] == 850.0);
}

TEST_CASE("gate: costs regress when they rise, unknown metrics are not compared") {
  Json b = {{"name", "handshake"},   {"params", {{"mode", "inproc"}}},
            {"latency_p99_ms", 2.0}, {"rss_bytes", 1000},
            {"handshakes", 10},      {"error", nullptr}};
  Json c = b;
  c["latency_p99_ms"] = 2.5;
  c["rss_bytes"] = 1050;
  c["handshakes"] = 1;
  GateReport r = run_gate(doc({b}), doc({c}), 10);
  REQUIRE(r.regressions.size() == 1);
  CHECK(r.regressions[0].metric == "latency_p99_ms");
  CHECK(r.regressions[0].change_pct == Approx(25.0));
  CHECK(r.compared == 2);
}

TEST_CASE("gate: results match by name and params, failed and unmatched ones are skipped") {
  Json base = doc({seal("aes256gcm16", 1000, 0.9)});
  Json cur = doc(
      {seal("chacha20poly1305", 1, 0.1), seal("aes256gcm16", 1, 0.1, Json{{"code", "crypto"}})});
  GateReport r = run_gate(base, cur, 10);
  CHECK(r.passed());
  CHECK(r.compared == 0);
  REQUIRE(r.unmatched.size() == 1);
  CHECK(r.unmatched[0].find("chacha20poly1305") != std::string::npos);
}

TEST_CASE("check_bench_document and load_baseline name the file") {
  CHECK(check_bench_document(doc(Json::array()), "x", "--baseline"));
  auto wrong =
      check_bench_document(Json{{"schema", "ikekit.ike-decode/1"}}, "d.json", "--baseline");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::usage);
  CHECK(wrong.error().field == "--baseline");
  CHECK(wrong.error().message.find("\"d.json\"") != std::string::npos);
  CHECK_FALSE(check_bench_document(Json{{"schema", "ikekit.ike-bench/1"}}, "x", "--baseline"));
  CHECK_FALSE(check_bench_document(Json::array(), "x", "--baseline"));

  auto missing = load_baseline("/nonexistent/bench.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("/nonexistent/bench.json") != std::string::npos);

  const std::string path = "bench_tests_baseline.json";
  { std::ofstream(path) << "{not json"; }
  auto bad = load_baseline(path);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("not JSON") != std::string::npos);
  { std::ofstream(path) << doc({seal("aes256gcm16", 1, 1)}).dump(); }
  auto good = load_baseline(path);
  REQUIRE(good);
  CHECK((*good)["results"].size() == 1);
  std::remove(path.c_str());
}

TEST_CASE("context: only crypto-relevant CPU flags, in a fixed order") {
  CHECK(crypto_cpu_flags("fpu vme sse2 avx2 aes pclmulqdq sha_ni avx vaes") ==
        std::vector<std::string>{"aes", "pclmulqdq", "avx", "avx2", "vaes", "sha_ni"});
  CHECK(crypto_cpu_flags("").empty());
  CHECK(crypto_cpu_flags("aes_ni avx512vl").empty()); // whole words only
  Json c = collect_context();
  for (const char* k : {"host", "kernel", "cpus", "cpu_model", "cpu_flags", "openssl_version",
                        "build_type", "ikekit_version", "git_commit", "date"})
    CHECK(c.contains(k));
  CHECK(c["ikekit_version"].is_string());
  CHECK(c["date"].get<std::string>().size() == 27); // 2024-01-02T03:04:05.000000Z
}
