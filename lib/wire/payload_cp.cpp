#include "wire/payload_cp.hpp"

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

} // namespace ikekit::wire
