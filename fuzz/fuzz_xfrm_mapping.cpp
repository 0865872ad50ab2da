// Fuzz target for the kernel's NAT mapping reports of the XFRM data plane
// (lib/io/xfrm_mapping: accept_xfrm_datagram, parse_xfrm_mappings over
// io/netlink_walk.hpp). Input: the sender's netlink port id (u32 big-endian, as
// recvfrom's sockaddr_nl.nl_pid gives it; the kernel's is 0), then one datagram.
// Invariants, against a model written from the kernel's ABI (nlmsghdr, then
// xfrm_user_mapping at the offsets below, messages 4-aligned):
//  * a datagram from any port id but 0 yields nothing and counts exactly one
//    not_from_kernel, nothing else;
//  * from port id 0, every message is judged once and lands in exactly one counter
//    (received or a drop reason), a runt or overrunning length ends the walk counted
//    as truncated, and each count equals the model's;
//  * each accepted mapping carries the message's fields (our address, SPI, reqid, the
//    old and new source), the new source port is never 0, and mappings are appended
//    after what `out` already held.
#include "fuzz_input.hpp"
#include "io/xfrm_mapping.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <vector>

using namespace ikekit;
using namespace ikekit::io;

namespace {

// struct xfrm_user_mapping as the kernel lays it out (uapi linux/xfrm.h).
constexpr size_t kDaddr = 0, kSpi = 16, kFamily = 20, kProto = 22, kReqid = 24, kOldSaddr = 28,
                 kNewSaddr = 44, kOldSport = 60, kNewSport = 62, kMappingSize = 64;
static_assert(offsetof(xfrm_user_mapping, id) + offsetof(xfrm_usersa_id, daddr) == kDaddr);
static_assert(offsetof(xfrm_user_mapping, id) + offsetof(xfrm_usersa_id, spi) == kSpi);
static_assert(offsetof(xfrm_user_mapping, id) + offsetof(xfrm_usersa_id, family) == kFamily);
static_assert(offsetof(xfrm_user_mapping, id) + offsetof(xfrm_usersa_id, proto) == kProto);
static_assert(offsetof(xfrm_user_mapping, reqid) == kReqid);
static_assert(offsetof(xfrm_user_mapping, old_saddr) == kOldSaddr);
static_assert(offsetof(xfrm_user_mapping, new_saddr) == kNewSaddr);
static_assert(offsetof(xfrm_user_mapping, old_sport) == kOldSport);
static_assert(offsetof(xfrm_user_mapping, new_sport) == kNewSport);
static_assert(sizeof(xfrm_user_mapping) == kMappingSize);

// Host-order fields (netlink is host order), network-order ones (SPI, ports).
template <class T> T host_at(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint32_t be32_at(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
uint16_t be16_at(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

IpAddress address_at(const uint8_t* p, uint16_t family) {
  return family == AF_INET ? IpAddress::v4(ByteView(p, 4)) : IpAddress::v6(ByteView(p, 16));
}

struct Model {
  XfrmMappingStats stats;
  std::vector<XfrmMapping> mappings;
};

// One message's body: which counter it lands in (and the mapping when received).
void judge(const uint8_t* body, size_t size, Model& m) {
  if (size < kMappingSize) {
    ++m.stats.truncated;
    return;
  }
  uint16_t family = host_at<uint16_t>(body + kFamily);
  if (family != AF_INET && family != AF_INET6) {
    ++m.stats.bad_family;
  } else if (body[kProto] != IPPROTO_ESP) {
    ++m.stats.not_esp;
  } else if (be16_at(body + kNewSport) == 0) {
    ++m.stats.bad_port;
  } else {
    ++m.stats.received;
    XfrmMapping x;
    x.dst = address_at(body + kDaddr, family);
    x.spi = be32_at(body + kSpi);
    x.reqid = host_at<uint32_t>(body + kReqid);
    x.old_source = Endpoint{address_at(body + kOldSaddr, family), be16_at(body + kOldSport)};
    x.new_source = Endpoint{address_at(body + kNewSaddr, family), be16_at(body + kNewSport)};
    m.mappings.push_back(x);
  }
}

Model model(ByteView d) {
  Model m;
  size_t off = 0;
  while (off < d.size()) {
    const uint8_t* h = d.data() + off;
    size_t left = d.size() - off;
    uint32_t len = left < 16 ? 0 : host_at<uint32_t>(h);
    if (len < 16 || len > left) { // a runt or a length past the end: the walk stops
      ++m.stats.truncated;
      break;
    }
    if (host_at<uint16_t>(h + 4) != XFRM_MSG_MAPPING)
      ++m.stats.other_type;
    else
      judge(h + 16, len - 16, m);
    off += std::min<size_t>((size_t(len) + 3) & ~size_t(3), left);
  }
  return m;
}

bool same_counts(const XfrmMappingStats& a, const XfrmMappingStats& b) {
  return a.received == b.received && a.truncated == b.truncated && a.bad_family == b.bad_family &&
         a.not_esp == b.not_esp && a.bad_port == b.bad_port && a.other_type == b.other_type &&
         a.not_from_kernel == b.not_from_kernel && a.overflows == b.overflows &&
         a.read_failed == b.read_failed && a.unknown_spi == b.unknown_spi;
}

bool same_mapping(const XfrmMapping& a, const XfrmMapping& b) {
  return a.dst == b.dst && a.spi == b.spi && a.reqid == b.reqid && a.old_source == b.old_source &&
         a.new_source == b.new_source;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  const uint32_t port_id = in.u32();
  const ByteView datagram = in.rest();
  // What a previous datagram left: appended to, never touched.
  static const XfrmMapping earlier{*IpAddress::parse("192.0.2.1"), 0xc0ffee01, 7,
                                   Endpoint{*IpAddress::parse("198.51.100.2"), 4500},
                                   Endpoint{*IpAddress::parse("198.51.100.2"), 61001}};
  std::vector<XfrmMapping> out{earlier};
  XfrmMappingStats stats;
  accept_xfrm_datagram(port_id, datagram, out, stats);
  IKEKIT_FUZZ_CHECK(out.size() >= 1 && same_mapping(out[0], earlier));

  Model want;
  if (port_id != 0)
    want.stats.not_from_kernel = 1;
  else
    want = model(datagram);
  IKEKIT_FUZZ_CHECK(same_counts(stats, want.stats));
  IKEKIT_FUZZ_CHECK(out.size() == 1 + want.mappings.size());
  for (size_t i = 0; i < want.mappings.size(); ++i) {
    IKEKIT_FUZZ_CHECK(same_mapping(out[1 + i], want.mappings[i]));
    IKEKIT_FUZZ_CHECK(out[1 + i].new_source.port != 0);
  }
  // Every message is counted once: at most one count per 16 bytes, plus a cut tail.
  const uint64_t counted = stats.received + stats.truncated + stats.bad_family + stats.not_esp +
                           stats.bad_port + stats.other_type + stats.not_from_kernel;
  IKEKIT_FUZZ_CHECK(counted <= datagram.size() / 16 + 1);
  IKEKIT_FUZZ_CHECK(port_id != 0 ? counted == 1 : (counted == 0) == datagram.empty());
  return 0;
}
