// Traffic Selector payloads TSi/TSr, RFC 7296 3.13.
// | Number of TSs |                 RESERVED                      |
// ~                       <Traffic Selectors>                     ~
//
// Traffic selector (3.13.1):
// |   TS Type     |IP Protocol ID*|       Selector Length         |
// |           Start Port*         |           End Port*           |
// ~                         Starting Address*                     ~
// ~                         Ending Address*                       ~
// TS_IPV4_ADDR_RANGE (7): length 16; TS_IPV6_ADDR_RANGE (8): length 40. Other types
// (TS_FC_ADDR_RANGE, TS_SECLABEL, unknown) are kept as raw bytes after Selector Length.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

#include <vector>

namespace ikekit::wire {

struct TrafficSelector {
  TsType type = TsType::ts_ipv4_addr_range;
  uint8_t ip_protocol = 0; // 0 = any
  uint16_t start_port = 0;
  uint16_t end_port = 65535;
  ByteView start_address; // 4 or 16 bytes for IP ranges
  ByteView end_address;
  ByteView data; // non-IP selector types: the bytes after Selector Length

  bool is_ip() const {
    return type == TsType::ts_ipv4_addr_range || type == TsType::ts_ipv6_addr_range;
  }
  IpAddress start() const; // is_ip() only
  IpAddress end() const;
};

struct TsPayload {
  std::vector<TrafficSelector> selectors;
};

// Errors: "ts.number", "ts.selector[i].type" / ".length" / ".start_address" ...,
// bad_length "ts.selector[i].length" for a wrong IPv4/IPv6 selector length, and
// bad_length "ts" for bytes after the last selector.
Result<TsPayload> parse_ts(ByteView body);
void write_body(Writer& w, const TsPayload& p);
Result<size_t> serialize(const TsPayload& p, MutBytes out);

} // namespace ikekit::wire
