// What both handshake modes share (handshake.hpp): the option checks and the result
// document. The modes themselves are handshake_inproc.cpp and handshake_udp.cpp.
#include "bench/handshake.hpp"

#include "base/ip_address.hpp"
#include "bench/stats.hpp"
#include "ike/config.hpp"

#include "json/payload_json.hpp"
#include <cmath>

namespace ikekit::bench {

namespace {

using json::rounded;

// More would only fill memory with latency samples; a CI run needs far fewer.
constexpr size_t kMaxCount = 100'000'000;
constexpr size_t kMaxConcurrency = 100'000;

Result<void> check_target(const std::string& target) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::usage, "--target",
                      "\"" + target + "\": " + why +
                          "; expected ADDR or ADDR:PORT (IPv6 as [ADDR]:PORT)");
  };
  std::string addr = target;
  std::string port;
  if (!addr.empty() && addr.front() == '[') {
    auto close = addr.find(']');
    if (close == std::string::npos) return bad("no closing ']'");
    std::string rest = addr.substr(close + 1);
    addr = addr.substr(1, close - 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("junk after ']'");
      port = rest.substr(1);
    }
  } else if (auto colon = addr.find(':');
             colon != std::string::npos && addr.find(':', colon + 1) == std::string::npos) {
    port = addr.substr(colon + 1);
    addr = addr.substr(0, colon);
  }
  if (!IpAddress::parse(addr)) return bad("not an IP address");
  if (!port.empty() || target.back() == ':') {
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos)
      return bad("bad port");
    unsigned long p = std::stoul(port);
    if (p == 0 || p > 65535) return bad("port out of range 1..65535");
  }
  return {};
}

} // namespace

Result<void> check_handshake_options(const HandshakeOptions& opts) {
  if (opts.mode != "inproc" && opts.mode != "udp")
    return make_error(Errc::usage, "--mode", "\"" + opts.mode + "\": expected inproc or udp");
  if (opts.count > kMaxCount)
    return make_error(Errc::usage, "--count",
                      std::to_string(opts.count) + ": at most " + std::to_string(kMaxCount));
  if (opts.count == 0 && opts.duration.count() <= 0)
    return make_error(Errc::usage, "--duration", "must be positive (or give --count)");
  if (opts.concurrency > kMaxConcurrency)
    return make_error(Errc::usage, "--concurrency",
                      std::to_string(opts.concurrency) + ": expected 1.." +
                          std::to_string(kMaxConcurrency));
  auto ike = ike::parse_ike_proposals(opts.ike_proposal);
  if (!ike) return make_error(Errc::usage, "--ike-proposal", ike.error().message);
  for (const auto& p : *ike)
    if (p.ke.empty())
      return make_error(Errc::usage, "--ike-proposal",
                        "\"" + opts.ike_proposal +
                            "\": every proposal needs a key exchange group, e.g. x25519");
  auto esp = ike::parse_esp_proposals(opts.esp_proposal);
  if (!esp) return make_error(Errc::usage, "--esp-proposal", esp.error().message);
  if (opts.peer != "ikekit" && opts.peer != "strongswan")
    return make_error(Errc::usage, "--peer",
                      "\"" + opts.peer + "\": expected ikekit or strongswan");
  if (opts.mode == "inproc") {
    if (!opts.target.empty())
      return make_error(Errc::usage, "--target", "only with --mode udp (inproc has no sockets)");
    if (opts.peer != "ikekit")
      return make_error(Errc::usage, "--peer",
                        "only with --mode udp (inproc runs two ikekit engines)");
    if (!opts.psk_file.empty())
      return make_error(Errc::usage, "--psk-file",
                        "only with --mode udp --target (inproc has its own key)");
  }
  if (!opts.target.empty()) return check_target(opts.target);
  return {};
}

json::Json handshake_result_to_json(const HandshakeResult& r) {
  json::Json j;
  j["name"] = r.name;
  j["params"] = r.params;
  const bool ok = !r.error && r.completed > 0;
  std::optional<double> rate;
  if (ok && r.elapsed_s > 0) rate = double(r.completed) / r.elapsed_s;
  j["handshakes_per_s"] = rounded(rate, 1);
  auto pct = ok ? percentiles(r.latency_ms) : std::nullopt;
  j["latency_ms"] = {{"p50", pct ? rounded(pct->p50, 4) : json::Json()},
                     {"p90", pct ? rounded(pct->p90, 4) : json::Json()},
                     {"p99", pct ? rounded(pct->p99, 4) : json::Json()},
                     {"max", pct ? rounded(pct->max, 4) : json::Json()}};
  j["cpu_ms_per_handshake"] = {{"initiator", ok ? rounded(r.cpu_ms_initiator, 4) : json::Json()},
                               {"responder", ok ? rounded(r.cpu_ms_responder, 4) : json::Json()},
                               {"total", ok ? rounded(r.cpu_ms_total, 4) : json::Json()}};
  j["messages_per_handshake"] = ok ? rounded(r.messages_per_handshake, 2) : json::Json();
  j["bytes_per_handshake"] = ok ? rounded(r.bytes_per_handshake, 1) : json::Json();
  j["bytes_per_s"] = rate ? rounded(*rate * r.bytes_per_handshake, 0) : json::Json();
  j["completed"] = r.completed;
  j["failed"] = r.failed;
  if (r.extra.is_object())
    for (const auto& [k, v] : r.extra.items())
      j[k] = v;
  j["error"] = r.error ? json::error_to_json(*r.error) : json::Json();
  return j;
}

std::string_view handshake_auth_name(HandshakeAuth a) {
  switch (a) {
  case HandshakeAuth::psk:
    return "psk";
  case HandshakeAuth::ecdsa:
    return "ecdsa";
  case HandshakeAuth::rsa:
    return "rsa";
  case HandshakeAuth::ed25519:
    return "ed25519";
  }
  return "psk";
}

} // namespace ikekit::bench
