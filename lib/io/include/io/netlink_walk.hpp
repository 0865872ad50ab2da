// Walks the messages of one netlink datagram the kernel sent to a multicast group
// (route changes, XFRM mapping reports): each whole message's header and body, in order.
#pragma once

#include "base/bytes.hpp"

#include <algorithm>
#include <cstring>
#include <linux/netlink.h>

namespace ikekit::io {

// Calls on_message(const nlmsghdr&, ByteView body) for each whole message of `buf`.
// False when the datagram ends in a runt or in a length that overruns it: the length is
// all that says where the next message starts, so the walk stops there.
template <class OnMessage> bool walk_netlink_messages(ByteView buf, OnMessage&& on_message) {
  size_t off = 0;
  while (off < buf.size()) {
    nlmsghdr h;
    if (buf.size() - off < sizeof h) return false;
    std::memcpy(&h, buf.data() + off, sizeof h);
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > buf.size() - off) return false;
    ByteView body = buf.subspan(off + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
    off += std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), buf.size() - off);
    on_message(h, body);
  }
  return true;
}

} // namespace ikekit::io
