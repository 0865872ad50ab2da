// A stand-in for the kernel's XFRM SAD and SPD for unit tests of what the XFRM data
// plane sends: each request is decoded back from its netlink bytes (message type, SPI,
// reqid, selectors, outer addresses, XFRMA_ENCAP) and answered as Linux does (EEXIST
// for a second NEWPOLICY of the same selectors or a second state under one (dst, SPI),
// ENOENT/ESRCH for a missing one).
#pragma once

#include "io/xfrm.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <functional>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <map>
#include <string>
#include <vector>

namespace ikekit::test {

using io::NetlinkAck;
using io::XfrmNetlink;

// One request as the kernel reads it.
struct Msg {
  uint16_t type = 0;
  uint32_t spi = 0;   // states
  uint32_t reqid = 0; // NEWSA: the state's; policies: the template's (0: none)
  uint8_t dir = 0;    // policies
  std::string sel;    // policies: "src>dst p<proto> <sport>/<mask> <dport>/<mask>"
  std::string outer;  // states: "src>dst" (DELSA: ">dst"); policies: the template's
  std::string encap;  // NEWSA: "sport>dport" of XFRMA_ENCAP, "" without
};

inline std::string xfrm_address_text(const xfrm_address_t& a, uint16_t family) {
  return (family == AF_INET ? IpAddress::v4(ByteView(reinterpret_cast<const uint8_t*>(&a), 4))
                            : IpAddress::v6(ByteView(reinterpret_cast<const uint8_t*>(&a), 16)))
      .to_string();
}

inline std::string selector_text(const xfrm_selector& s) {
  return xfrm_address_text(s.saddr, s.family) + "/" + std::to_string(s.prefixlen_s) + ">" +
         xfrm_address_text(s.daddr, s.family) + "/" + std::to_string(s.prefixlen_d) + " p" +
         std::to_string(s.proto) + " " + std::to_string(ntohs(s.sport)) + "/" +
         std::to_string(ntohs(s.sport_mask)) + " " + std::to_string(ntohs(s.dport)) + "/" +
         std::to_string(ntohs(s.dport_mask));
}

inline Msg decode_xfrm_request(ByteView m) {
  Msg out;
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  out.type = h.nlmsg_type;
  const uint8_t* body = m.data() + NLMSG_HDRLEN;
  size_t fixed = 0;
  if (h.nlmsg_type == XFRM_MSG_NEWSA) {
    xfrm_usersa_info x;
    std::memcpy(&x, body, sizeof x);
    out.spi = ntohl(x.id.spi);
    out.reqid = x.reqid;
    out.outer =
        xfrm_address_text(x.saddr, x.family) + ">" + xfrm_address_text(x.id.daddr, x.family);
    fixed = NLMSG_ALIGN(sizeof x);
  } else if (h.nlmsg_type == XFRM_MSG_DELSA || h.nlmsg_type == XFRM_MSG_GETSA) {
    xfrm_usersa_id x;
    std::memcpy(&x, body, sizeof x);
    out.spi = ntohl(x.spi);
    out.outer = ">" + xfrm_address_text(x.daddr, x.family);
  } else if (h.nlmsg_type == XFRM_MSG_NEWPOLICY || h.nlmsg_type == XFRM_MSG_UPDPOLICY) {
    xfrm_userpolicy_info x;
    std::memcpy(&x, body, sizeof x);
    out.dir = x.dir;
    out.sel = selector_text(x.sel);
    fixed = NLMSG_ALIGN(sizeof x);
  } else if (h.nlmsg_type == XFRM_MSG_DELPOLICY) {
    xfrm_userpolicy_id x;
    std::memcpy(&x, body, sizeof x);
    out.dir = x.dir;
    out.sel = selector_text(x.sel);
  }
  // Attributes after the fixed header: the template's reqid and addresses, the encap.
  for (size_t off = NLMSG_HDRLEN + fixed; fixed && off + 4 <= h.nlmsg_len;) {
    nlattr a;
    std::memcpy(&a, m.data() + off, sizeof a);
    if (a.nla_len < 4) break;
    if (a.nla_type == XFRMA_TMPL) {
      xfrm_user_tmpl t;
      std::memcpy(&t, m.data() + off + NLA_HDRLEN, sizeof t);
      out.reqid = t.reqid;
      out.outer =
          xfrm_address_text(t.saddr, t.family) + ">" + xfrm_address_text(t.id.daddr, t.family);
    }
    if (a.nla_type == XFRMA_ENCAP) {
      xfrm_encap_tmpl e;
      std::memcpy(&e, m.data() + off + NLA_HDRLEN, sizeof e);
      out.encap = std::to_string(ntohs(e.encap_sport)) + ">" + std::to_string(ntohs(e.encap_dport));
    }
    off += NLA_ALIGN(a.nla_len);
  }
  return out;
}

// The kernel's SAD and SPD as far as these messages go.
struct FakeKernel {
  std::vector<Msg> log;
  std::map<std::pair<std::string, uint32_t>, uint32_t> states;  // (">dst", spi) -> reqid
  std::map<std::pair<std::string, uint8_t>, uint32_t> policies; // (sel, dir) -> tmpl reqid
  std::map<std::pair<std::string, uint8_t>, std::string> tmpl;  // (sel, dir) -> template outer
  std::function<int(const Msg&)> refuse;                        // errno for a request, 0: take it
  std::function<void()> after_each;

  static std::pair<std::string, uint32_t> state_key(const Msg& m) {
    return {m.outer.substr(m.outer.find('>')), m.spi};
  }
  Result<NetlinkAck> handle(ByteView m) {
    Msg msg = decode_xfrm_request(m);
    log.push_back(msg);
    NetlinkAck ack;
    if (refuse) ack.error = refuse(msg);
    auto key = std::make_pair(msg.sel, msg.dir);
    if (ack.error == 0) switch (msg.type) {
      case XFRM_MSG_NEWSA: // the SAD's key: (dst, SPI, ESP)
        if (!states.emplace(state_key(msg), msg.reqid).second) ack.error = EEXIST;
        break;
      case XFRM_MSG_DELSA:
        if (!states.erase(state_key(msg))) ack.error = ESRCH;
        break;
      case XFRM_MSG_GETSA:
        ack.error = ESRCH;
        break;
      case XFRM_MSG_NEWPOLICY:
        if (!policies.emplace(key, msg.reqid).second)
          ack.error = EEXIST;
        else
          tmpl[key] = msg.outer;
        break;
      case XFRM_MSG_UPDPOLICY:
        policies[key] = msg.reqid;
        tmpl[key] = msg.outer;
        break;
      case XFRM_MSG_DELPOLICY:
        if (!policies.erase(key)) ack.error = ENOENT;
        break;
      }
    if (after_each) after_each();
    return ack;
  }
  XfrmNetlink netlink() {
    return XfrmNetlink::with_transport([this](ByteView m) { return handle(m); });
  }
  size_t count(uint16_t type) const {
    size_t n = 0;
    for (const Msg& m : log)
      n += m.type == type;
    return n;
  }
};

} // namespace ikekit::test
