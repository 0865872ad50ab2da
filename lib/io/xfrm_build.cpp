// Pure builders for XFRM netlink requests (linux/xfrm.h). Each fills the kernel's
// fixed header as a zeroed local value, copies it behind the nlmsghdr, and appends
// attributes in the order iproute2 uses, so the bytes equal what `ip xfrm` sends.
#include "base/secret_bytes.hpp"
#include "io/xfrm.hpp"

#include <arpa/inet.h>
#include <array>
#include <cstring>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ikekit::io {

namespace {

constexpr uint64_t kInf = XFRM_INF; // "no limit" in xfrm_lifetime_cfg

uint16_t af_of(const IpAddress& a) { return a.is_v4() ? AF_INET : AF_INET6; }

xfrm_address_t to_xfrm(const IpAddress& a) {
  xfrm_address_t x;
  std::memset(&x, 0, sizeof x);
  std::memcpy(&x, a.bytes().data(), a.bytes().size());
  return x;
}

Error bad(std::string field, std::string message) {
  return make_error(Errc::bad_value, std::move(field), std::move(message));
}

// Start a request in `out`: nlmsghdr plus a zeroed fixed header of `extra` bytes.
Result<nlmsghdr*> start(MutBytes out, uint16_t type, uint16_t flags, uint32_t seq, size_t extra,
                        std::string_view what) {
  if (reinterpret_cast<uintptr_t>(out.data()) % 4 != 0)
    return bad(std::string(what), "netlink buffer must be 4-byte aligned");
  if (out.size() < mnl_nlmsg_size(extra))
    return make_error(Errc::bad_length, std::string(what),
                      "output buffer of " + std::to_string(out.size()) + " bytes is too small");
  std::memset(out.data(), 0, mnl_nlmsg_size(extra));
  nlmsghdr* nlh = mnl_nlmsg_put_header(out.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  nlh->nlmsg_pid = 0;
  mnl_nlmsg_put_extra_header(nlh, extra);
  return nlh;
}

bool put(nlmsghdr* nlh, MutBytes out, uint16_t type, const void* data, size_t len) {
  return mnl_attr_put_check(nlh, out.size(), type, len, data);
}

Result<size_t> too_small(MutBytes out, std::string_view what) {
  return make_error(Errc::bad_length, std::string(what),
                    "output buffer of " + std::to_string(out.size()) + " bytes is too small");
}

// xfrm_algo / xfrm_algo_auth / xfrm_algo_aead: name[64], key bits, [icv/trunc bits], key.
bool put_algorithm(nlmsghdr* nlh, MutBytes out, uint16_t type, const XfrmAlgorithm& alg,
                   bool with_bits) {
  std::array<uint8_t, 64 + 8 + 512> buf{};
  std::memcpy(buf.data(), alg.name.data(), alg.name.size());
  uint32_t key_bits = uint32_t(alg.key.size() * 8);
  std::memcpy(buf.data() + 64, &key_bits, 4);
  size_t off = 68;
  if (with_bits) {
    std::memcpy(buf.data() + off, &alg.icv_bits, 4);
    off += 4;
  }
  if (!alg.key.empty()) std::memcpy(buf.data() + off, alg.key.data(), alg.key.size());
  bool ok = put(nlh, out, type, buf.data(), off + alg.key.size());
  secure_zero(buf.data(), buf.size());
  return ok;
}

Result<void> check_algorithm(const XfrmAlgorithm& alg, std::string_view field) {
  if (alg.name.empty() || alg.name.size() > 63)
    return bad(std::string(field) + ".name",
               "kernel algorithm name \"" + std::string(alg.name) + "\" must be 1..63 characters");
  if (alg.key.size() > 512)
    return bad(std::string(field) + ".key",
               "key of " + std::to_string(alg.key.size()) + " bytes is longer than 512");
  return {};
}

xfrm_selector to_selector(const XfrmSelector& s) {
  xfrm_selector x;
  std::memset(&x, 0, sizeof x);
  x.daddr = to_xfrm(s.dst.addr);
  x.saddr = to_xfrm(s.src.addr);
  x.dport = htons(s.dport);
  x.dport_mask = htons(s.dport_mask ? s.dport_mask : s.dport ? 0xffff : 0);
  x.sport = htons(s.sport);
  x.sport_mask = htons(s.sport_mask ? s.sport_mask : s.sport ? 0xffff : 0);
  x.family = af_of(s.src.addr);
  x.prefixlen_d = s.dst.len;
  x.prefixlen_s = s.src.len;
  x.proto = s.proto;
  return x;
}

Result<void> check_selector(const XfrmSelector& s, std::string_view field) {
  if (s.src.addr.family() != s.dst.addr.family())
    return bad(std::string(field) + ".dst",
               "selector mixes IPv4 and IPv6: " + s.src.to_string() + " -> " + s.dst.to_string());
  return {};
}

void set_infinite(xfrm_lifetime_cfg& lft) {
  lft.soft_byte_limit = lft.hard_byte_limit = kInf;
  lft.soft_packet_limit = lft.hard_packet_limit = kInf;
}

Result<size_t> sa_id_message(const XfrmSaId& id, uint16_t type, uint16_t flags, uint32_t seq,
                             MutBytes out) {
  const char* what = type == XFRM_MSG_DELSA ? "xfrm.delsa" : "xfrm.getsa";
  if (id.src.family() != id.dst.family())
    return bad("sa.dst",
               "SA mixes IPv4 and IPv6: " + id.src.to_string() + " -> " + id.dst.to_string());
  auto nlh = start(out, type, flags, seq, sizeof(xfrm_usersa_id), what);
  if (!nlh) return nlh.error();
  xfrm_usersa_id x;
  std::memset(&x, 0, sizeof x);
  x.daddr = to_xfrm(id.dst);
  x.spi = htonl(id.spi);
  x.family = af_of(id.dst);
  x.proto = IPPROTO_ESP;
  std::memcpy(mnl_nlmsg_get_payload(*nlh), &x, sizeof x);
  xfrm_address_t src = to_xfrm(id.src);
  if (!put(*nlh, out, XFRMA_SRCADDR, &src, sizeof src)) return too_small(out, what);
  if (id.mark) {
    xfrm_mark m{id.mark->value, id.mark->mask};
    if (!put(*nlh, out, XFRMA_MARK, &m, sizeof m)) return too_small(out, what);
  }
  return size_t((*nlh)->nlmsg_len);
}

// NEWPOLICY and UPDPOLICY share their body (xfrm_userpolicy_info + attributes).
Result<size_t> policy_message(const XfrmPolicy& p, uint16_t type, uint32_t seq, MutBytes out) {
  const std::string_view what = type == XFRM_MSG_NEWPOLICY ? "xfrm.newpolicy" : "xfrm.updpolicy";
  if (auto c = check_selector(p.sel, "policy.sel"); !c) return c.error();
  if (p.tmpl && p.tmpl->src.family() != p.tmpl->dst.family())
    return bad("policy.tmpl.dst", "template mixes IPv4 and IPv6");
  auto nlh = start(out, type, NLM_F_REQUEST | NLM_F_ACK, seq, sizeof(xfrm_userpolicy_info), what);
  if (!nlh) return nlh.error();
  xfrm_userpolicy_info x;
  std::memset(&x, 0, sizeof x);
  x.sel = to_selector(p.sel);
  set_infinite(x.lft);
  x.priority = p.priority;
  x.dir = uint8_t(p.dir);
  x.action = uint8_t(p.action);
  std::memcpy(mnl_nlmsg_get_payload(*nlh), &x, sizeof x);
  if (p.tmpl) { // RFC 4301 4.4.1.2: the SA bundle this policy needs, here one ESP SA
    xfrm_user_tmpl t;
    std::memset(&t, 0, sizeof t);
    t.id.daddr = to_xfrm(p.tmpl->dst);
    t.id.proto = IPPROTO_ESP;
    t.family = af_of(p.tmpl->dst);
    t.saddr = to_xfrm(p.tmpl->src);
    t.reqid = p.tmpl->reqid;
    t.mode = uint8_t(p.tmpl->mode);
    t.aalgos = t.ealgos = t.calgos = ~0u;
    if (!put(*nlh, out, XFRMA_TMPL, &t, sizeof t)) return too_small(out, what);
  }
  if (p.mark) {
    xfrm_mark m{p.mark->value, p.mark->mask};
    if (!put(*nlh, out, XFRMA_MARK, &m, sizeof m)) return too_small(out, what);
  }
  if (p.if_id && !put(*nlh, out, XFRMA_IF_ID, &*p.if_id, 4)) return too_small(out, what);
  return size_t((*nlh)->nlmsg_len);
}

} // namespace

std::string_view xfrm_algorithm_name(const crypto::TransformInfo& t) {
  using crypto::TransformKind;
  if (t.kind == TransformKind::encr) {
    switch (t.id) {
    case 12:
      return "cbc(aes)"; // RFC 3602
    case 13:
      return "rfc3686(ctr(aes))"; // RFC 3686
    case 18:
    case 19:
    case 20:
      return kXfrmAesGcm; // RFC 4106 (ICV 8/12/16)
    case 28:
      return kXfrmChaCha20Poly1305; // RFC 7634
    default:
      return "";
    }
  }
  if (t.kind == TransformKind::integ) {
    switch (t.id) {
    case 2:
      return "hmac(sha1)"; // RFC 2404
    case 5:
      return "xcbc(aes)"; // RFC 3566
    case 8:
      return "cmac(aes)"; // RFC 4494
    case 12:
      return "hmac(sha256)"; // RFC 4868
    case 13:
      return "hmac(sha384)";
    case 14:
      return "hmac(sha512)";
    default:
      return "";
    }
  }
  return "";
}

std::string_view xfrm_dir_name(XfrmDir dir) {
  switch (dir) {
  case XfrmDir::in:
    return "in";
  case XfrmDir::out:
    return "out";
  case XfrmDir::fwd:
    return "fwd";
  }
  return "?";
}

std::string_view xfrm_mode_name(XfrmMode mode) {
  return mode == XfrmMode::tunnel ? "tunnel" : "transport";
}

Result<size_t> build_xfrm_newsa(const XfrmSa& sa, uint32_t seq, MutBytes out) {
  constexpr std::string_view what = "xfrm.newsa";
  if (sa.src.family() != sa.dst.family())
    return bad("sa.dst",
               "SA mixes IPv4 and IPv6: " + sa.src.to_string() + " -> " + sa.dst.to_string());
  if (sa.aead && (sa.crypt || sa.auth))
    return bad("sa.aead", "an AEAD SA carries no separate encryption or integrity algorithm");
  if (!sa.aead && !sa.crypt) return bad("sa.crypt", "an ESP SA needs aead or crypt (+ auth)");
  for (auto [alg, field] : {std::pair{&sa.aead, "sa.aead"}, std::pair{&sa.crypt, "sa.crypt"},
                            std::pair{&sa.auth, "sa.auth"}})
    if (*alg)
      if (auto c = check_algorithm(**alg, field); !c) return c.error();

  auto nlh =
      start(out, XFRM_MSG_NEWSA, NLM_F_REQUEST | NLM_F_ACK, seq, sizeof(xfrm_usersa_info), what);
  if (!nlh) return nlh.error();
  xfrm_usersa_info x;
  std::memset(&x, 0, sizeof x);
  x.id.daddr = to_xfrm(sa.dst);
  x.id.spi = htonl(sa.spi);
  x.id.proto = IPPROTO_ESP;
  x.saddr = to_xfrm(sa.src);
  set_infinite(x.lft);
  x.reqid = sa.reqid;
  x.family = af_of(sa.src);
  x.mode = uint8_t(sa.mode);
  // RFC 4303 3.4.3: the legacy replay_window field holds at most 32 packets;
  // larger windows and ESN need xfrm_replay_state_esn (as iproute2 decides).
  bool esn_attr = sa.esn || sa.replay_window > 32;
  x.replay_window = esn_attr ? 0 : uint8_t(sa.replay_window);
  if (sa.esn) x.flags |= XFRM_STATE_ESN;
  std::memcpy(mnl_nlmsg_get_payload(*nlh), &x, sizeof x);

  if (sa.aead && !put_algorithm(*nlh, out, XFRMA_ALG_AEAD, *sa.aead, true))
    return too_small(out, what);
  if (sa.crypt && !put_algorithm(*nlh, out, XFRMA_ALG_CRYPT, *sa.crypt, false))
    return too_small(out, what);
  if (sa.auth && !put_algorithm(*nlh, out, XFRMA_ALG_AUTH_TRUNC, *sa.auth, true))
    return too_small(out, what);
  if (sa.encap) { // RFC 3948: UDP-encapsulated ESP
    xfrm_encap_tmpl e;
    std::memset(&e, 0, sizeof e);
    e.encap_type = 2; // UDP_ENCAP_ESPINUDP (linux/udp.h)
    e.encap_sport = htons(sa.encap->sport);
    e.encap_dport = htons(sa.encap->dport);
    if (!put(*nlh, out, XFRMA_ENCAP, &e, sizeof e)) return too_small(out, what);
  }
  if (esn_attr) {
    xfrm_replay_state_esn r;
    std::memset(&r, 0, sizeof r);
    r.bmp_len = (sa.replay_window + 31) / 32;
    r.replay_window = sa.replay_window;
    if (!put(*nlh, out, XFRMA_REPLAY_ESN_VAL, &r, sizeof r)) return too_small(out, what);
  }
  if (sa.mark) {
    xfrm_mark m{sa.mark->value, sa.mark->mask};
    if (!put(*nlh, out, XFRMA_MARK, &m, sizeof m)) return too_small(out, what);
  }
  if (sa.if_id && !put(*nlh, out, XFRMA_IF_ID, &*sa.if_id, 4)) return too_small(out, what);
  return size_t((*nlh)->nlmsg_len);
}

Result<size_t> build_xfrm_delsa(const XfrmSaId& id, uint32_t seq, MutBytes out) {
  return sa_id_message(id, XFRM_MSG_DELSA, NLM_F_REQUEST | NLM_F_ACK, seq, out);
}

Result<size_t> build_xfrm_getsa(const XfrmSaId& id, uint32_t seq, MutBytes out) {
  return sa_id_message(id, XFRM_MSG_GETSA, NLM_F_REQUEST, seq, out);
}

Result<size_t> build_xfrm_newpolicy(const XfrmPolicy& p, uint32_t seq, MutBytes out) {
  return policy_message(p, XFRM_MSG_NEWPOLICY, seq, out);
}

Result<size_t> build_xfrm_updpolicy(const XfrmPolicy& p, uint32_t seq, MutBytes out) {
  return policy_message(p, XFRM_MSG_UPDPOLICY, seq, out);
}

Result<size_t> build_xfrm_delpolicy(const XfrmPolicyId& id, uint32_t seq, MutBytes out) {
  constexpr std::string_view what = "xfrm.delpolicy";
  if (auto c = check_selector(id.sel, "policy.sel"); !c) return c.error();
  auto nlh = start(out, XFRM_MSG_DELPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq,
                   sizeof(xfrm_userpolicy_id), what);
  if (!nlh) return nlh.error();
  xfrm_userpolicy_id x;
  std::memset(&x, 0, sizeof x);
  x.sel = to_selector(id.sel);
  x.dir = uint8_t(id.dir);
  std::memcpy(mnl_nlmsg_get_payload(*nlh), &x, sizeof x);
  if (id.mark) {
    xfrm_mark m{id.mark->value, id.mark->mask};
    if (!put(*nlh, out, XFRMA_MARK, &m, sizeof m)) return too_small(out, what);
  }
  if (id.if_id && !put(*nlh, out, XFRMA_IF_ID, &*id.if_id, 4)) return too_small(out, what);
  return size_t((*nlh)->nlmsg_len);
}

Result<XfrmSaCounters> parse_xfrm_sa_counters(ByteView m) {
  if (m.size() < mnl_nlmsg_size(sizeof(xfrm_usersa_info)))
    return make_error(Errc::truncated, "xfrm.newsa",
                      "reply of " + std::to_string(m.size()) + " bytes is shorter than an SA");
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  if (h.nlmsg_type != XFRM_MSG_NEWSA)
    return make_error(Errc::bad_value, "xfrm.nlmsg_type",
                      "expected XFRM_MSG_NEWSA, got " + std::to_string(h.nlmsg_type));
  xfrm_usersa_info x;
  std::memcpy(&x, m.data() + mnl_nlmsg_size(0), sizeof x);
  XfrmSaCounters c;
  c.bytes = x.curlft.bytes;
  c.packets = x.curlft.packets;
  c.add_time = x.curlft.add_time;
  c.use_time = x.curlft.use_time;
  c.replay_window_drops = x.stats.replay_window;
  c.replay_drops = x.stats.replay;
  c.integrity_failed = x.stats.integrity_failed;
  return c;
}

} // namespace ikekit::io
