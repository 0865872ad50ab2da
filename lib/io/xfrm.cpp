// Sending XFRM requests and turning the kernel's verdict into a Result.
#include "io/xfrm.hpp"

#include "base/secret_bytes.hpp"

#include <array>
#include <cerrno>
#include <linux/netlink.h>

namespace ikekit::io {

namespace {

constexpr size_t kMsgBuf = 2048;

// The kernel option that provides a crypto API algorithm (for error messages).
std::string_view kernel_option_for(std::string_view alg) {
  if (alg == kXfrmAesGcm) return "CONFIG_CRYPTO_GCM";
  if (alg == kXfrmChaCha20Poly1305) return "CONFIG_CRYPTO_CHACHA20POLY1305";
  if (alg == "cbc(aes)") return "CONFIG_CRYPTO_CBC";
  if (alg == "rfc3686(ctr(aes))") return "CONFIG_CRYPTO_CTR";
  if (alg == "hmac(sha256)") return "CONFIG_CRYPTO_SHA256";
  if (alg == "hmac(sha384)" || alg == "hmac(sha512)") return "CONFIG_CRYPTO_SHA512";
  if (alg == "hmac(sha1)") return "CONFIG_CRYPTO_SHA1";
  if (alg == "xcbc(aes)") return "CONFIG_CRYPTO_XCBC";
  if (alg == "cmac(aes)") return "CONFIG_CRYPTO_CMAC";
  return "CONFIG_CRYPTO_*";
}

std::string with_extack(std::string message, const NetlinkAck& ack) {
  if (!ack.extack.empty()) message += " (kernel: " + ack.extack + ")";
  return message;
}

std::string errno_label(int err) { return std::string(errno_name(err)); }

// Kernel verdicts shared by every request.
Error generic_error(const NetlinkAck& ack, std::string_view what, std::string_view field) {
  if (ack.error == EPERM || ack.error == EACCES)
    return make_error(Errc::environment, std::string(field),
                      with_extack(std::string(what) + ": " + errno_text(ack.error) + " (" +
                                      errno_label(ack.error) +
                                      "): XFRM needs CAP_NET_ADMIN (run as root)",
                                  ack));
  return make_error(Errc::io, std::string(field),
                    with_extack(std::string(what) + ": kernel refused: " + errno_text(ack.error) +
                                    " (" + errno_label(ack.error) + ")",
                                ack));
}

Error sa_error(const XfrmSa& sa, const NetlinkAck& ack) {
  if (ack.error == EPROTONOSUPPORT) {
    // xfrm_state_construct -> xfrm_get_type(): no ESP type registered.
    return make_error(
        Errc::environment, "sa",
        with_extack(std::string("kernel refused the XFRM ESP state (EPROTONOSUPPORT): the kernel "
                                "lacks ESP (") +
                        (sa.src.is_v4() ? "CONFIG_INET_ESP" : "CONFIG_INET6_ESP") +
                        "); use the TUN data plane",
                    ack));
  }
  if (ack.error == ENOSYS || ack.error == ENOENT) {
    // attach_aead/attach_one_algo: the crypto API has no such algorithm.
    std::string algs;
    for (const auto* a : {&sa.aead, &sa.crypt, &sa.auth}) {
      if (!*a) continue;
      if (!algs.empty()) algs += " or ";
      algs += std::string((*a)->name) + " (" + std::string(kernel_option_for((*a)->name)) + ")";
    }
    return make_error(Errc::environment, "sa",
                      with_extack("kernel refused the XFRM ESP state (" + errno_label(ack.error) +
                                      "): the kernel lacks the algorithm " + algs +
                                      " or ESP itself (CONFIG_INET_ESP); use the TUN data plane",
                                  ack));
  }
  if (ack.error == EEXIST)
    return make_error(Errc::io, "sa.spi",
                      "kernel refused the XFRM ESP state: an SA with dst " + sa.dst.to_string() +
                          " spi " + std::to_string(sa.spi) + " exists (EEXIST)");
  return generic_error(ack, "xfrm: add SA", "sa");
}

} // namespace

Result<XfrmNetlink> XfrmNetlink::open() {
  auto nl = NetlinkSocket::open(NETLINK_XFRM, "xfrm");
  if (!nl) return nl.error();
  XfrmNetlink x;
  x.nl_.emplace(std::move(*nl));
  return x;
}

XfrmNetlink XfrmNetlink::with_transport(Transport transport) {
  XfrmNetlink x;
  x.transport_ = std::move(transport);
  return x;
}

Result<NetlinkAck> XfrmNetlink::request(ByteView message) {
  return transport_ ? transport_(message) : nl_->request(message);
}

Result<NetlinkAck> XfrmNetlink::query(ByteView message, std::vector<uint8_t>& reply) {
  reply.clear();
  return transport_ ? transport_(message) : nl_->query(message, reply);
}

Result<void> XfrmNetlink::add_sa(const XfrmSa& sa) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto len = build_xfrm_newsa(sa, next_seq(), buf);
  if (!len) return len.error();
  auto ack = request(ByteView(buf.data(), *len));
  secure_zero(buf.data(), *len); // the message carried the keys
  if (!ack) return ack.error();
  if (ack->error) return sa_error(sa, *ack);
  return {};
}

Result<void> XfrmNetlink::delete_sa(const XfrmSaId& id) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto len = build_xfrm_delsa(id, next_seq(), buf);
  if (!len) return len.error();
  auto ack = request(ByteView(buf.data(), *len));
  if (!ack) return ack.error();
  if (ack->error == ESRCH)
    return make_error(Errc::not_found, "sa.spi",
                      "xfrm: delete SA: no SA with dst " + id.dst.to_string() + " spi " +
                          std::to_string(id.spi));
  if (ack->error) return generic_error(*ack, "xfrm: delete SA", "sa");
  return {};
}

Result<XfrmSaCounters> XfrmNetlink::sa_counters(const XfrmSaId& id) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto len = build_xfrm_getsa(id, next_seq(), buf);
  if (!len) return len.error();
  std::vector<uint8_t> reply;
  auto ack = query(ByteView(buf.data(), *len), reply);
  if (!ack) return ack.error();
  if (ack->error == ESRCH)
    return make_error(Errc::not_found, "sa.spi",
                      "xfrm: get SA: no SA with dst " + id.dst.to_string() + " spi " +
                          std::to_string(id.spi));
  if (ack->error) return generic_error(*ack, "xfrm: get SA", "sa");
  auto c = parse_xfrm_sa_counters(reply);
  if (!reply.empty()) secure_zero(reply.data(), reply.size()); // the reply carries keys
  return c;
}

Result<void> XfrmNetlink::add_policy(const XfrmPolicy& p) { return send_policy(p, false); }

Result<void> XfrmNetlink::update_policy(const XfrmPolicy& p) { return send_policy(p, true); }

Result<void> XfrmNetlink::send_policy(const XfrmPolicy& p, bool update) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto len =
      update ? build_xfrm_updpolicy(p, next_seq(), buf) : build_xfrm_newpolicy(p, next_seq(), buf);
  if (!len) return len.error();
  auto ack = request(ByteView(buf.data(), *len));
  if (!ack) return ack.error();
  if (ack->error == EEXIST)
    return make_error(Errc::io, "policy.sel",
                      "xfrm: add policy: a " + std::string(xfrm_dir_name(p.dir)) + " policy for " +
                          p.sel.src.to_string() + " -> " + p.sel.dst.to_string() +
                          " exists (EEXIST)");
  if (ack->error)
    return generic_error(*ack, update ? "xfrm: update policy" : "xfrm: add policy", "policy");
  return {};
}

Result<void> XfrmNetlink::delete_policy(const XfrmPolicyId& id) {
  alignas(8) std::array<uint8_t, kMsgBuf> buf;
  auto len = build_xfrm_delpolicy(id, next_seq(), buf);
  if (!len) return len.error();
  auto ack = request(ByteView(buf.data(), *len));
  if (!ack) return ack.error();
  if (ack->error == ENOENT)
    return make_error(Errc::not_found, "policy.sel",
                      "xfrm: delete policy: no " + std::string(xfrm_dir_name(id.dir)) +
                          " policy for " + id.sel.src.to_string() + " -> " +
                          id.sel.dst.to_string());
  if (ack->error) return generic_error(*ack, "xfrm: delete policy", "policy");
  return {};
}

Result<void> probe_xfrm_esp(std::string_view aead_name) {
  auto nl = XfrmNetlink::open();
  if (!nl) return nl.error();
  static constexpr uint8_t kSrc[4] = {127, 0, 0, 253};
  static constexpr uint8_t kDst[4] = {127, 0, 0, 254};
  uint8_t key[36] = {}; // 32-byte key + 4-byte salt: valid for GCM-256 and ChaCha20-Poly1305
  XfrmSa sa;
  sa.src = IpAddress::v4(kSrc);
  sa.dst = IpAddress::v4(kDst);
  sa.spi = 0xfffffff0;
  sa.mode = XfrmMode::transport;
  sa.reqid = 0xfffffff0;
  sa.aead = XfrmAlgorithm{aead_name, ByteView(key, sizeof key), 128};
  auto added = nl->add_sa(sa);
  if (!added) {
    if (added.error().message.find("EEXIST") != std::string::npos) return {}; // left by a crash
    return added.error();
  }
  return nl->delete_sa(XfrmSaId{sa.src, sa.dst, sa.spi, std::nullopt});
}

} // namespace ikekit::io
