// Traffic selector narrowing, RFC 7296 2.9.
//
//   Initiator                         Responder
//   HDR, SK {..., SAi2, TSi, TSr} -->
//                                <--  HDR, SK {..., SAr2, TSi', TSr'}
//
// "the responder is allowed to narrow the choices by selecting a subset of the traffic";
// TSi' / TSr' are the intersections with the responder's policy. "If the proposed
// selectors are unacceptable ... the responder ... responds with TS_UNACCEPTABLE".
#include "ike/ts.hpp"

#include <algorithm>

namespace ikekit::ike {

std::vector<TsSpec> from_payload(const wire::TsPayload& p) {
  std::vector<TsSpec> v;
  for (const auto& s : p.selectors) {
    if (!s.is_ip()) continue;
    TsSpec t;
    t.start = s.start();
    t.end = s.end();
    t.ip_protocol = s.ip_protocol;
    t.start_port = s.start_port;
    t.end_port = s.end_port;
    v.push_back(t);
  }
  return v;
}

wire::TsPayload to_payload(const std::vector<TsSpec>& ts, std::vector<Bytes>& storage) {
  wire::TsPayload p;
  storage.reserve(storage.size() + 2 * ts.size());
  for (const auto& t : ts) {
    wire::TrafficSelector s;
    s.type = t.start.is_v4() ? wire::TsType::ts_ipv4_addr_range : wire::TsType::ts_ipv6_addr_range;
    s.ip_protocol = t.ip_protocol;
    s.start_port = t.start_port;
    s.end_port = t.end_port;
    storage.emplace_back(t.start.bytes().begin(), t.start.bytes().end());
    s.start_address = storage.back();
    storage.emplace_back(t.end.bytes().begin(), t.end.bytes().end());
    s.end_address = storage.back();
    p.selectors.push_back(s);
  }
  return p;
}

std::optional<TsSpec> intersect(const TsSpec& a, const TsSpec& b) {
  if (a.start.family() != b.start.family()) return std::nullopt;
  if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol)
    return std::nullopt;
  TsSpec r;
  r.start = a.start < b.start ? b.start : a.start;
  r.end = a.end < b.end ? a.end : b.end;
  if (r.end < r.start) return std::nullopt;
  r.ip_protocol = a.ip_protocol ? a.ip_protocol : b.ip_protocol;
  r.start_port = std::max(a.start_port, b.start_port);
  r.end_port = std::min(a.end_port, b.end_port);
  if (r.end_port < r.start_port) return std::nullopt;
  return r;
}

std::vector<TsSpec> narrow(const std::vector<TsSpec>& proposed,
                           const std::vector<TsSpec>& allowed) {
  std::vector<TsSpec> out;
  for (const auto& p : proposed)
    for (const auto& a : allowed)
      if (auto r = intersect(p, a)) {
        if (std::find(out.begin(), out.end(), *r) == out.end()) out.push_back(*r);
      }
  return out;
}

bool is_subset(const std::vector<TsSpec>& sub, const std::vector<TsSpec>& super) {
  for (const auto& s : sub) {
    bool inside = false;
    for (const auto& p : super)
      if (auto r = intersect(s, p); r && *r == s) inside = true;
    if (!inside) return false;
  }
  return true;
}

namespace {

bool covers(const std::vector<TsSpec>& ranges, const IpAddress& a) {
  for (const auto& r : ranges)
    if (r.start.family() == a.family() && !(a < r.start) && !(r.end < a)) return true;
  return false;
}

// The peer's inner address behind a NAT: the first single-address selector of its
// proposal, if it is of the outer address's family and not one of ours.
std::optional<IpAddress> nat_inner_host(const std::vector<TsSpec>& proposed,
                                        const IpAddress& peer_address,
                                        const std::vector<TsSpec>& local_allowed) {
  for (const auto& t : proposed) {
    if (!(t.start == t.end) || t.start.family() != peer_address.family()) continue;
    if (covers(local_allowed, t.start)) return std::nullopt;
    return t.start;
  }
  return std::nullopt;
}

} // namespace

std::vector<TsSpec> remote_ts_policy(const std::vector<TsSpec>& configured,
                                     const IpAddress& peer_address, bool peer_behind_nat,
                                     const std::vector<TsSpec>& proposed,
                                     const std::vector<TsSpec>& local_allowed) {
  if (!configured.empty()) return configured;
  std::vector<TsSpec> allowed{TsSpec::host(peer_address)};
  if (!peer_behind_nat) return allowed;
  if (auto inner = nat_inner_host(proposed, peer_address, local_allowed);
      inner && !(*inner == peer_address))
    allowed.push_back(TsSpec::host(*inner));
  return allowed;
}

std::vector<std::string> ts_strings(const std::vector<TsSpec>& ts) {
  std::vector<std::string> v;
  v.reserve(ts.size());
  for (const auto& t : ts)
    v.push_back(t.to_string());
  return v;
}

} // namespace ikekit::ike
