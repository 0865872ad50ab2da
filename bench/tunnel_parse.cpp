#include "bench/tunnel_parse.hpp"

#include "json/output.hpp"
#include <charconv>
#include <cstdlib>
#include <string>

namespace ikekit::bench {

namespace {

std::optional<double> number_at(const json::Json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// strtod on a string_view: the text after `pos` up to the first character that
// cannot be part of a number.
std::optional<double> number_after(std::string_view line, std::string_view key) {
  size_t at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string digits;
  for (size_t i = at + key.size(); i < line.size(); ++i) {
    char c = line[i];
    if ((c >= '0' && c <= '9') || c == '.')
      digits += c;
    else
      break;
  }
  if (digits.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(digits.c_str(), &end);
  if (end == digits.c_str()) return std::nullopt;
  return v;
}

std::optional<int> int_before(std::string_view line, std::string_view key) {
  size_t at = line.find(key);
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  size_t end = at;
  while (end > 0 && line[end - 1] == ' ')
    --end;
  size_t begin = end;
  while (begin > 0 && line[begin - 1] >= '0' && line[begin - 1] <= '9')
    --begin;
  int v = 0;
  auto r = std::from_chars(line.data() + begin, line.data() + end, v);
  if (r.ec != std::errc() || begin == end) return std::nullopt;
  return v;
}

} // namespace

Result<IperfReport> parse_iperf3_json(std::string_view text) {
  json::Json doc = json::Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(Errc::bad_value, "iperf3", "iperf3 -J output is not a JSON object");
  if (auto e = doc.find("error"); e != doc.end() && e->is_string())
    return make_error(Errc::io, "iperf3", "iperf3: " + e->get<std::string>());
  const json::Json* end = doc.contains("end") ? &doc["end"] : nullptr;
  const json::Json* recv = end && end->contains("sum_received") ? &(*end)["sum_received"] : nullptr;
  auto bps = recv ? number_at(*recv, "bits_per_second") : std::nullopt;
  if (!bps)
    return make_error(Errc::bad_value, "iperf3.end.sum_received",
                      "iperf3 -J output has no end.sum_received.bits_per_second");
  IperfReport r;
  r.received_bits_per_s = *bps;
  r.received_bytes = uint64_t(number_at(*recv, "bytes").value_or(0));
  r.seconds = number_at(*recv, "seconds").value_or(0);
  if (end->contains("sum_sent")) {
    const json::Json& sent = (*end)["sum_sent"];
    r.sent_bits_per_s = number_at(sent, "bits_per_second").value_or(0);
    if (auto rt = number_at(sent, "retransmits")) r.retransmits = uint64_t(*rt);
  }
  if (end->contains("streams") && (*end)["streams"].is_array())
    r.streams = int((*end)["streams"].size());
  return r;
}

Result<PingReport> parse_ping_output(std::string_view text) {
  PingReport r;
  bool have_stats = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.find("icmp_seq=") != std::string_view::npos &&
        line.find("DUP!") == std::string_view::npos) {
      if (auto t = number_after(line, "time=")) r.rtt_ms.push_back(*t);
    } else if (line.find("packets transmitted") != std::string_view::npos) {
      auto tx = int_before(line, "packets transmitted");
      auto rx = int_before(line, "received");
      if (tx && rx) {
        r.transmitted = *tx;
        r.received = *rx;
        have_stats = true;
      }
    } else if (line.rfind("rtt ", 0) == 0 || line.rfind("round-trip ", 0) == 0) {
      // "rtt min/avg/max/mdev = 0.055/0.069/0.082/0.011 ms": the second number.
      size_t eq = line.find("= ");
      if (eq != std::string_view::npos) {
        std::string_view nums = line.substr(eq + 2);
        size_t slash = nums.find('/');
        if (slash != std::string_view::npos) {
          if (auto avg = number_after(nums.substr(slash), "/")) r.avg_ms = *avg;
        }
      }
    }
  }
  if (!have_stats)
    return make_error(Errc::bad_value, "ping", "ping output has no \"packets transmitted\" line");
  return r;
}

} // namespace ikekit::bench
