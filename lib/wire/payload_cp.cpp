#include "wire/payload_cp.hpp"

#include <algorithm>
#include <string>

namespace ikekit::wire {

Result<CpPayload> parse_cp(ByteView body) {
  Reader r(body);
  auto type = r.u8("cp.cfg_type");
  if (!type) return type.error();
  auto reserved = r.bytes(3, "cp.reserved");
  if (!reserved) return reserved.error();
  CpPayload out;
  out.type = CfgType(*type);
  for (size_t i = 0; !r.empty(); ++i) {
    auto fail = [i](const Error& e) {
      return Error(e).within("cp.attribute[" + std::to_string(i) + "]");
    };
    auto attr_type = r.u16("type");
    if (!attr_type) return fail(attr_type.error());
    auto length = r.u16("length");
    if (!length) return fail(length.error());
    auto value = r.bytes(*length, "value");
    if (!value) return fail(value.error());
    out.attributes.push_back(CfgAttribute{CfgAttr(*attr_type & 0x7fff), *value});
  }
  return out;
}

void write_body(Writer& w, const CpPayload& p) {
  w.u8(uint8_t(p.type));
  w.zeros(3);
  for (const auto& a : p.attributes) {
    w.u16(uint16_t(uint16_t(a.type) & 0x7fff));
    w.u16(uint16_t(a.value.size()));
    w.bytes(a.value);
  }
}

Result<size_t> serialize(const CpPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("cp");
}

namespace {

// The value length of a non-empty address attribute; 0 for other attributes.
size_t address_value_size(CfgAttr t) {
  switch (t) {
  case CfgAttr::internal_ip4_address:
  case CfgAttr::internal_ip4_netmask:
  case CfgAttr::internal_ip4_dns:
    return 4;
  case CfgAttr::internal_ip6_dns:
    return 16;
  case CfgAttr::internal_ip6_address:
    return 17;
  default:
    return 0;
  }
}

} // namespace

bool is_address_attribute(CfgAttr t) { return address_value_size(t) != 0; }

Result<std::optional<CfgAddress>> parse_cfg_address(const CfgAttribute& a) {
  size_t want = address_value_size(a.type);
  if (want == 0)
    return make_error(Errc::bad_value, "type",
                      "attribute " + std::to_string(unsigned(a.type)) + " is not an address");
  if (a.value.empty()) return std::optional<CfgAddress>();
  if (a.value.size() != want)
    return make_error(Errc::bad_length, "value",
                      "expected " + std::to_string(want) + " octets, got " +
                          std::to_string(a.value.size()));
  CfgAddress out;
  if (want == 4) {
    out.address = IpAddress::v4(a.value);
  } else {
    out.address = IpAddress::v6(a.value.first(16));
    if (want == 17) {
      out.prefix_len = a.value[16];
      if (out.prefix_len > 128)
        return make_error(Errc::bad_value, "value", "prefix length over 128");
    }
  }
  return std::optional<CfgAddress>(out);
}

Bytes cfg_address_value(CfgAttr t, const IpAddress& a, uint8_t prefix_len) {
  ByteView b = a.bytes();
  Bytes v(b.begin(), b.end());
  if (t == CfgAttr::internal_ip6_address) v.push_back(prefix_len);
  return v;
}

bool is_subnet_attribute(CfgAttr t) {
  return t == CfgAttr::internal_ip4_subnet || t == CfgAttr::internal_ip6_subnet;
}

namespace {

// The prefix length of a contiguous netmask (ones, then zeros); nullopt otherwise.
std::optional<uint8_t> netmask_length(ByteView mask) {
  uint8_t len = 0;
  bool zeros = false;
  for (uint8_t byte : mask)
    for (int bit = 7; bit >= 0; --bit) {
      bool one = (byte >> bit) & 1;
      if (one && zeros) return std::nullopt;
      if (one) ++len;
      zeros = zeros || !one;
    }
  return len;
}

} // namespace

Result<std::optional<Prefix>> parse_cfg_subnet(const CfgAttribute& a) {
  if (!is_subnet_attribute(a.type))
    return make_error(Errc::bad_value, "type",
                      "attribute " + std::to_string(unsigned(a.type)) + " is not a subnet");
  if (a.value.empty()) return std::optional<Prefix>();
  bool v4 = a.type == CfgAttr::internal_ip4_subnet;
  size_t want = v4 ? 8 : 17;
  if (a.value.size() != want)
    return make_error(Errc::bad_length, "value",
                      "expected " + std::to_string(want) + " octets, got " +
                          std::to_string(a.value.size()));
  if (v4) {
    auto len = netmask_length(a.value.subspan(4));
    if (!len) return make_error(Errc::bad_value, "value", "netmask is not contiguous");
    return std::optional<Prefix>(Prefix{IpAddress::v4(a.value.first(4)), *len});
  }
  if (a.value[16] > 128) return make_error(Errc::bad_value, "value", "prefix length over 128");
  return std::optional<Prefix>(Prefix{IpAddress::v6(a.value.first(16)), a.value[16]});
}

CfgAttr cfg_subnet_type(const Prefix& p) {
  return p.addr.is_v4() ? CfgAttr::internal_ip4_subnet : CfgAttr::internal_ip6_subnet;
}

Bytes cfg_subnet_value(const Prefix& p) {
  ByteView b = p.addr.bytes();
  Bytes v(b.begin(), b.end());
  if (!p.addr.is_v4()) {
    v.push_back(p.len);
    return v;
  }
  for (unsigned i = 0; i < 4; ++i) { // RFC 7296 3.15.1: the netmask after the address
    unsigned bits = p.len > i * 8 ? std::min(8u, p.len - i * 8) : 0;
    v.push_back(uint8_t(0xff00 >> bits));
  }
  return v;
}

} // namespace ikekit::wire
