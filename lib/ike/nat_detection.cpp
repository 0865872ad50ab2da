// NAT detection, RFC 7296 2.23:
//
//   "The data associated with these Notify types is the SHA-1 digest of the SPIs (in the
//    order they appear in the header), IP address, and port from which this packet was
//    sent."  NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP.
#include "crypto/digest.hpp"
#include "ike/engine_impl.hpp"

#include <algorithm>
#include <array>

namespace ikekit::ike {

Bytes nat_detection_hash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e) {
  std::array<uint8_t, 16 + 16 + 2> in{}; // SPIs, an IPv4 or IPv6 address, the port
  store_be64(in.data(), spi_i);
  store_be64(in.data() + 8, spi_r);
  auto a = e.address.bytes();
  std::copy(a.begin(), a.end(), in.begin() + 16);
  in[16 + a.size()] = uint8_t(e.port >> 8);
  in[16 + a.size() + 1] = uint8_t(e.port);
  auto d = crypto::sha1(ByteView(in.data(), 16 + a.size() + 2));
  return Bytes(d.begin(), d.end());
}

// Reads the NAT_D notifies: RFC 7296 2.23 "If none of the NAT_DETECTION_SOURCE_IP
// payload(s) received match the expected value ..., the other end is behind a NAT";
// a mismatching NAT_DETECTION_DESTINATION_IP means we are behind one.
bool detect_nat(IkeSa& sa, const Inbound& in, uint64_t spi_i, uint64_t spi_r) {
  // RFC 9329: in a TCP stream the initiator's source port was the kernel's choice, not
  // known when it wrote NAT_D, and a stream needs neither keepalives nor UDP encapsulation.
  if (sa.stream) return false;
  Bytes src = nat_detection_hash(spi_i, spi_r, in.dg->remote);
  Bytes dst = nat_detection_hash(spi_i, spi_r, in.dg->local);
  bool have_src = false, src_ok = false, have_dst = false, dst_ok = false;
  for (const auto& n : in.notifies) {
    if (n.type == wire::NotifyType::nat_detection_source_ip) {
      have_src = true;
      src_ok = src_ok || equal_bytes(n.data, src);
    } else if (n.type == wire::NotifyType::nat_detection_destination_ip) {
      have_dst = true;
      dst_ok = dst_ok || equal_bytes(n.data, dst);
    }
  }
  sa.nat_remote = have_src && !src_ok;
  sa.nat_local = have_dst && !dst_ok;
  return have_src && have_dst;
}

} // namespace ikekit::ike
