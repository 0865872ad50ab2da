// Fuzz target for the rtnetlink parser of ike-up's roaming (lib/io/route_watch:
// parse_route_changes). Input: one netlink datagram as the kernel would send it.
// Invariants: every change comes from a message of at least a netlink header (16 bytes),
// so there are at most size / 16 of them; parsing the same bytes again gives the same
// changes and counts (no state leaks between calls).
#include "fuzz_input.hpp"
#include "io/route_watch.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace ikekit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView buf(data, size);
  std::vector<io::RouteChange> a, b;
  io::RouteParseStats sa, sb;
  io::parse_route_changes(buf, a, sa);
  io::parse_route_changes(buf, b, sb);
  IKEKIT_FUZZ_CHECK(a.size() <= size / 16);
  IKEKIT_FUZZ_CHECK(a.size() == b.size());
  IKEKIT_FUZZ_CHECK(sa.malformed == sb.malformed && sa.ignored == sb.ignored);
  for (size_t i = 0; i < a.size(); ++i) {
    IKEKIT_FUZZ_CHECK(a[i].kind == b[i].kind && a[i].ifindex == b[i].ifindex);
    IKEKIT_FUZZ_CHECK(a[i].address == b[i].address && a[i].prefix_len == b[i].prefix_len);
  }
  return 0;
}
