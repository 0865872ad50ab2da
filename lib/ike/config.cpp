// Parsing and printing of the config's user-facing values (identities, traffic
// selectors, proposals) in strongSwan's syntax.
#include "ike/config.hpp"

#include "base/decimal.hpp"
#include "base/hex.hpp"
#include "ike/stats.hpp"
#include "wire/ids.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace ikekit::ike {

Result<Identity> Identity::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::usage, "id", "\"" + std::string(text) + "\": " + why);
  };
  if (text.empty())
    return bad("empty identity; expected an address, name, user@domain, dn:<hex> or keyid:<hex>");
  if (text == "%null") return Identity{wire::IdType::id_null, {}};
  if (text.starts_with("dn:") || text.starts_with("keyid:")) {
    bool dn = text.starts_with("dn:");
    auto hex = from_hex(text.substr(dn ? 3 : 6), "id");
    if (!hex) return bad("expected hex bytes after the prefix");
    if (hex->empty()) return bad("empty value");
    return Identity{dn ? wire::IdType::id_der_asn1_dn : wire::IdType::id_key_id, std::move(*hex)};
  }
  if (auto ip = IpAddress::parse(text)) {
    auto b = ip->bytes();
    return Identity{ip->is_v4() ? wire::IdType::id_ipv4_addr : wire::IdType::id_ipv6_addr,
                    Bytes(b.begin(), b.end())};
  }
  if (text.front() == '@') {
    text.remove_prefix(1);
    if (text.empty()) return bad("empty name after '@'");
    return Identity{wire::IdType::id_fqdn, Bytes(text.begin(), text.end())};
  }
  if (text.find('@') != std::string_view::npos)
    return Identity{wire::IdType::id_rfc822_addr, Bytes(text.begin(), text.end())};
  return Identity{wire::IdType::id_fqdn, Bytes(text.begin(), text.end())};
}

void Identity::append_to(std::string& out) const {
  switch (type) {
  case wire::IdType::id_ipv4_addr:
    if (data.size() == 4) return IpAddress::v4(data).append_to(out);
    break;
  case wire::IdType::id_ipv6_addr:
    if (data.size() == 16) return IpAddress::v6(data).append_to(out);
    break;
  case wire::IdType::id_fqdn:
  case wire::IdType::id_rfc822_addr: {
    bool printable = true;
    for (uint8_t c : data)
      printable = printable && c >= 0x20 && c < 0x7f;
    if (printable) {
      out.append(data.begin(), data.end());
      return;
    }
    break;
  }
  case wire::IdType::id_null:
    out += "%null";
    return;
  case wire::IdType::id_der_asn1_dn:
    out += "dn:";
    return append_hex(out, data);
  case wire::IdType::id_key_id:
    out += "keyid:";
    return append_hex(out, data);
  default:
    break;
  }
  out += wire::id_type_name(type);
  out += ':';
  append_hex(out, data);
}

std::string Identity::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

namespace {

bool parse_uint(std::string_view s, unsigned max, unsigned& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && out <= max;
}

// The last address of a prefix: host bits set to 1; the first: host bits cleared.
void apply_prefix(IpAddress& start, IpAddress& end, unsigned bits) {
  auto b = start.bytes();
  // On the stack: TsSpec::prefix() calls this for every traffic selector of a child_sa_up
  // line.
  std::array<uint8_t, 16> lo{}, hi{};
  std::copy(b.begin(), b.end(), lo.begin());
  std::copy(b.begin(), b.end(), hi.begin());
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned bit0 = unsigned(i * 8);
    uint8_t mask = bits >= bit0 + 8 ? 0xff
                   : bits <= bit0   ? 0
                                    : uint8_t(0xff << (8 - (bits - bit0)));
    lo[i] &= mask;
    hi[i] |= uint8_t(~mask);
  }
  start = start.is_v4() ? IpAddress::v4(ByteView(lo.data(), 4)) : IpAddress::v6(lo);
  end = start.is_v4() ? IpAddress::v4(ByteView(hi.data(), 4)) : IpAddress::v6(hi);
}

} // namespace

Result<TsSpec> TsSpec::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::usage, "ts", "\"" + std::string(text) + "\": " + why);
  };
  std::string_view addr = text, extra;
  if (auto lb = text.find('['); lb != std::string_view::npos) {
    if (text.back() != ']') return bad("expected ']' at the end");
    addr = text.substr(0, lb);
    extra = text.substr(lb + 1, text.size() - lb - 2);
  }
  TsSpec ts;
  if (auto slash = addr.find('/'); slash != std::string_view::npos) {
    auto ip = IpAddress::parse(addr.substr(0, slash));
    unsigned bits = 0;
    if (!ip) return bad("expected an address before '/'");
    if (!parse_uint(addr.substr(slash + 1), ip->is_v4() ? 32 : 128, bits))
      return bad("expected a prefix length of 0-" + std::to_string(ip->is_v4() ? 32 : 128));
    ts.start = ts.end = *ip;
    apply_prefix(ts.start, ts.end, bits);
  } else if (auto dash = addr.find('-'); dash != std::string_view::npos) {
    auto a = IpAddress::parse(addr.substr(0, dash));
    auto b = IpAddress::parse(addr.substr(dash + 1));
    if (!a || !b || a->family() != b->family() || *b < *a)
      return bad("expected a range like 10.0.0.1-10.0.0.9 (same family, start <= end)");
    ts.start = *a;
    ts.end = *b;
  } else {
    auto ip = IpAddress::parse(addr);
    if (!ip) return bad("expected an address, a prefix like 10.1.0.0/24 or a range");
    ts.start = ts.end = *ip;
  }
  if (!extra.empty()) {
    std::string_view proto = extra, ports;
    if (auto s = extra.find('/'); s != std::string_view::npos) {
      proto = extra.substr(0, s);
      ports = extra.substr(s + 1);
    }
    unsigned p = 0;
    if (proto == "tcp")
      ts.ip_protocol = 6;
    else if (proto == "udp")
      ts.ip_protocol = 17;
    else if (proto == "icmp")
      ts.ip_protocol = 1;
    else if (proto == "ipv6-icmp")
      ts.ip_protocol = 58;
    else if (proto == "%any" || proto.empty())
      ts.ip_protocol = 0;
    else if (parse_uint(proto, 255, p))
      ts.ip_protocol = uint8_t(p);
    else
      return bad("expected a protocol (tcp, udp, icmp or a number)");
    if (!ports.empty() && ports != "%any") {
      unsigned lo = 0, hi = 0;
      auto dash = ports.find('-');
      if (dash == std::string_view::npos) {
        if (!parse_uint(ports, 65535, lo)) return bad("expected a port 0-65535");
        hi = lo;
      } else if (!parse_uint(ports.substr(0, dash), 65535, lo) ||
                 !parse_uint(ports.substr(dash + 1), 65535, hi) || hi < lo) {
        return bad("expected a port range like 1000-2000");
      }
      ts.start_port = uint16_t(lo);
      ts.end_port = uint16_t(hi);
    }
  }
  return ts;
}

std::optional<Prefix> TsSpec::prefix() const {
  if (start.family() != end.family()) return std::nullopt;
  // The only length that can fit: the leading bits start and end share.
  ByteView a = start.bytes(), b = end.bytes();
  unsigned n = 0;
  size_t i = 0;
  for (; i < a.size() && a[i] == b[i]; ++i)
    n += 8;
  if (i < a.size())
    for (uint8_t diff = a[i] ^ b[i]; !(diff & 0x80); diff = uint8_t(diff << 1))
      ++n;
  IpAddress lo = start, hi = start;
  apply_prefix(lo, hi, n);
  if (lo == start && hi == end) return Prefix{start, uint8_t(n)};
  return std::nullopt;
}

void TsSpec::append_to(std::string& out) const {
  // A single address is printed bare, without looking for a prefix.
  if (start == end) {
    start.append_to(out);
  } else if (std::optional<Prefix> p = prefix()) {
    p->append_to(out);
  } else {
    start.append_to(out);
    out += '-';
    end.append_to(out);
  }
  if (ip_protocol != 0 || start_port != 0 || end_port != 65535) {
    out += '[';
    append_decimal(out, ip_protocol);
    if (start_port != 0 || end_port != 65535) {
      out += '/';
      append_decimal(out, start_port);
      if (end_port != start_port) {
        out += '-';
        append_decimal(out, end_port);
      }
    }
    out += ']';
  }
}

std::string TsSpec::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

std::string_view auth_method_kind_name(AuthMethodKind k) {
  switch (k) {
  case AuthMethodKind::psk:
    return "psk";
  case AuthMethodKind::pubkey:
    return "pubkey";
  case AuthMethodKind::eap_mschapv2:
    return "eap-mschapv2";
  }
  return "";
}
std::string_view child_mode_name(ChildMode m) {
  return m == ChildMode::tunnel ? "tunnel" : "transport";
}
std::string_view unique_policy_name(UniquePolicy u) {
  switch (u) {
  case UniquePolicy::no:
    return "no";
  case UniquePolicy::never:
    return "never";
  case UniquePolicy::keep:
    return "keep";
  case UniquePolicy::replace:
    return "replace";
  }
  return "no";
}
std::optional<UniquePolicy> parse_unique_policy(std::string_view name) {
  for (UniquePolicy u :
       {UniquePolicy::no, UniquePolicy::never, UniquePolicy::keep, UniquePolicy::replace})
    if (unique_policy_name(u) == name) return u;
  return std::nullopt;
}

Result<std::vector<crypto::ParsedProposal>> parse_ike_proposals(std::string_view text) {
  return crypto::parse_proposals(text, crypto::ProposalKind::ike);
}
Result<std::vector<crypto::ParsedProposal>> parse_esp_proposals(std::string_view text) {
  return crypto::parse_proposals(text, crypto::ProposalKind::esp);
}

std::string proposal_string(const crypto::ParsedProposal& p) {
  std::string s;
  auto add = [&](const std::vector<const crypto::TransformInfo*>& v) {
    for (auto* t : v) {
      if (!s.empty()) s += '-';
      s += t->keyword;
    }
  };
  add(p.encr);
  add(p.integ);
  add(p.prf);
  add(p.ke);
  add(p.esn);
  return s;
}

std::string_view ike_transport_name(IkeTransport t) {
  switch (t) {
  case IkeTransport::tcp:
    return "tcp";
  case IkeTransport::auto_fallback:
    return "auto";
  case IkeTransport::udp:
    break;
  }
  return "udp";
}

std::string_view drop_reason_name(DropReason r) {
  static constexpr std::string_view names[] = {
      "malformed",          "unknown_sa",       "bad_flags",           "out_of_window",
      "duplicate",          "integrity",        "payload_rules",       "unexpected_exchange",
      "invalid_cookie",     "fragment",         "no_config",           "unsupported_critical",
      "buffer_too_small",   "half_open_limit",  "half_open_per_ip",    "too_large",
      "too_many_fragments", "reassembly_limit", "retransmit_mismatch", "retransmit_rate",
      "bad_cookie2",        "wrong_transport",  "handoff_full"};
  static_assert(std::size(names) == size_t(DropReason::kCount));
  return size_t(r) < std::size(names) ? names[size_t(r)] : "unknown";
}

} // namespace ikekit::ike
