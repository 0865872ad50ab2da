#include "esp/dataplane_stats.hpp"

#include <algorithm>

namespace ikekit::esp {

void add_delivery_drops(InStats& to, const InStats& local) {
  to.not_esp += local.not_esp;
  to.bad_inner += local.bad_inner;
  to.deliver_dropped += local.deliver_dropped;
  to.selector_src += local.selector_src;
  to.selector_dst += local.selector_dst;
  to.selector_protocol += local.selector_protocol;
  to.selector_port += local.selector_port;
  // Opened (counted by the SA), then refused by the TUN, not IP, or outside the
  // SA's selectors (RFC 4301 5.2).
  uint64_t undelivered = local.bad_inner + local.deliver_dropped + local.selector_src +
                         local.selector_dst + local.selector_protocol + local.selector_port;
  to.packets -= std::min(to.packets, undelivered);
}

} // namespace ikekit::esp
