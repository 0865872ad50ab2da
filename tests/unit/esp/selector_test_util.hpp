// Packets and selectors for the selector tests: IPv4/IPv6 packets with a TCP/UDP,
// ICMP or fragment header, built byte by byte as RFC 791 / RFC 8200 lay them out.
#pragma once

#include "base/bytes.hpp"
#include "esp/selector.hpp"
#include "ip_literal.hpp"
#include "wire/ip.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

namespace selector_test {

using namespace ikekit;
using namespace ikekit::esp;

using ikekit::test::ip;

// "10.0.0.0/8", "10.0.0.0/8[6/80-90]" (protocol/ports, as strongSwan writes them).
inline TrafficSelector ts(const std::string& text) {
  TrafficSelector t;
  auto bracket = text.find('[');
  auto p = Prefix::parse(text.substr(0, bracket));
  REQUIRE(p);
  t.addr = *p;
  if (bracket == std::string::npos) return t;
  std::string rest = text.substr(bracket + 1, text.size() - bracket - 2);
  auto slash = rest.find('/');
  t.protocol = uint8_t(std::stoi(rest.substr(0, slash)));
  if (slash == std::string::npos) return t;
  std::string ports = rest.substr(slash + 1);
  auto dash = ports.find('-');
  t.port_start = uint16_t(std::stoi(ports.substr(0, dash)));
  t.port_end =
      dash == std::string::npos ? t.port_start : uint16_t(std::stoi(ports.substr(dash + 1)));
  return t;
}

inline SaSelectors sel(std::initializer_list<const char*> local,
                       std::initializer_list<const char*> remote) {
  SaSelectors s;
  for (const char* l : local)
    s.local.push_back(ts(l));
  for (const char* r : remote)
    s.remote.push_back(ts(r));
  return s;
}

// An IPv4 packet: 20-byte header, `protocol`, then `l4` (the upper-layer bytes).
inline Bytes v4(const char* src, const char* dst, uint8_t protocol, Bytes l4,
                uint16_t frag_offset_units = 0) {
  Bytes p(20 + l4.size());
  p[0] = 0x45;
  store_be16(&p[2], uint16_t(p.size()));
  store_be16(&p[6], frag_offset_units & 0x1fff);
  p[8] = 64;
  p[9] = protocol;
  std::memcpy(&p[12], ip(src).bytes().data(), 4);
  std::memcpy(&p[16], ip(dst).bytes().data(), 4);
  std::memcpy(p.data() + 20, l4.data(), l4.size());
  return p;
}

// An IPv6 packet: 40-byte header with Next Header `nh`, then `rest` (extension
// headers and the upper-layer bytes).
inline Bytes v6(const char* src, const char* dst, uint8_t nh, Bytes rest) {
  Bytes p(40 + rest.size());
  p[0] = 0x60;
  store_be16(&p[4], uint16_t(rest.size()));
  p[6] = nh;
  p[7] = 64;
  std::memcpy(&p[8], ip(src).bytes().data(), 16);
  std::memcpy(&p[24], ip(dst).bytes().data(), 16);
  std::memcpy(p.data() + 40, rest.data(), rest.size());
  return p;
}

inline Bytes ports(uint16_t src, uint16_t dst) {
  Bytes b(8);
  store_be16(&b[0], src);
  store_be16(&b[2], dst);
  return b;
}

inline Bytes icmp(uint8_t type, uint8_t code) { return Bytes{type, code, 0, 0, 0, 0, 0, 0}; }

inline PacketSelector read(const Bytes& packet) {
  PacketSelector p;
  REQUIRE(read_packet_selector(packet, p));
  return p;
}

} // namespace selector_test
