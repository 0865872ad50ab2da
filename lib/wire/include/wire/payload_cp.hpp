// Configuration payload, RFC 7296 3.15.
// |   CFG Type    |                    RESERVED                   |
// ~                   Configuration Attributes                    ~
//
// Configuration attribute (3.15.1):
// |R|         Attribute Type      |            Length             |
// ~                             Value                             ~
// The R bit is reserved (sent 0, ignored).
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/prefix.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

#include <vector>

namespace ikekit::wire {

struct CfgAttribute {
  CfgAttr type = CfgAttr::internal_ip4_address;
  ByteView value; // may be empty (a request for any value)
};

struct CpPayload {
  CfgType type = CfgType::cfg_request;
  std::vector<CfgAttribute> attributes;
};

// Errors: "cp.cfg_type", "cp.reserved", "cp.attribute[i].type" / ".length" / ".value".
Result<CpPayload> parse_cp(ByteView body);
void write_body(Writer& w, const CpPayload& p);
Result<size_t> serialize(const CpPayload& p, MutBytes out);

// The address-valued attributes (RFC 7296 3.15.1), whose value is empty in a request for
// any value or else: INTERNAL_IP4_ADDRESS, INTERNAL_IP4_NETMASK, INTERNAL_IP4_DNS (4
// octets); INTERNAL_IP6_DNS (16); INTERNAL_IP6_ADDRESS (16 + a prefix-length octet).
bool is_address_attribute(CfgAttr t);
struct CfgAddress {
  IpAddress address;
  uint8_t prefix_len = 0; // INTERNAL_IP6_ADDRESS only (0-128); else 0
};
// nullopt for an empty value. Errors: "value" (wrong length for the type, or a prefix
// length over 128), or "type" when `a` is not an address attribute.
Result<std::optional<CfgAddress>> parse_cfg_address(const CfgAttribute& a);
// The value octets of an address attribute of type `t` (for INTERNAL_IP6_ADDRESS with
// `prefix_len`); `a`'s family must be the type's.
Bytes cfg_address_value(CfgAttr t, const IpAddress& a, uint8_t prefix_len = 128);

// INTERNAL_IP4_SUBNET (address and netmask, 8 octets) and INTERNAL_IP6_SUBNET (address and
// prefix length, 17 octets): a network protected by the responder (RFC 7296 3.15.1, 3.15.2).
bool is_subnet_attribute(CfgAttr t);
// nullopt for an empty value. Errors: "value" (wrong length, a netmask that is not
// contiguous ones then zeros, a prefix length over 128), "type" when not a subnet attribute.
Result<std::optional<Prefix>> parse_cfg_subnet(const CfgAttribute& a);
// The attribute type (by the prefix's family) and value octets of `p`; host bits are sent
// as they are in `p.addr`.
CfgAttr cfg_subnet_type(const Prefix& p);
Bytes cfg_subnet_value(const Prefix& p);

} // namespace ikekit::wire
