// The kernel XFRM backend (RFC 4301 SAD and SPD in the kernel) over NETLINK_XFRM.
//
// Message BUILDING is pure: build_xfrm_* write one netlink request into caller space
// and return its length, so the bytes can be compared with what `ip xfrm` sends
// (tests/unit/io/vectors). SENDING is XfrmNetlink: it owns the socket and turns the
// kernel's answer into a Result. The attribute layout and its order follow iproute2:
//   NEWSA: xfrm_usersa_info, ALG_AEAD | ALG_CRYPT + ALG_AUTH_TRUNC, ENCAP,
//          REPLAY_ESN_VAL, MARK, IF_ID
//   NEWPOLICY / UPDPOLICY: xfrm_userpolicy_info, TMPL, MARK, IF_ID
// XfrmNetlink normally talks to the kernel; tests hand it a transport that stands in
// for the kernel (with_transport) to see every request the data plane sends.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "crypto/suite.hpp"
#include "io/netlink_socket.hpp"
#include "io/prefix.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::io {

enum class XfrmMode : uint8_t { transport = 0, tunnel = 1 }; // XFRM_MODE_*
enum class XfrmDir : uint8_t { in = 0, out = 1, fwd = 2 };   // XFRM_POLICY_*
enum class XfrmAction : uint8_t { allow = 0, block = 1 };    // XFRM_POLICY_ALLOW/BLOCK

inline constexpr std::string_view kXfrmAesGcm = "rfc4106(gcm(aes))";
inline constexpr std::string_view kXfrmChaCha20Poly1305 = "rfc7539esp(chacha20,poly1305)";
inline constexpr std::string_view kXfrmAesCbc = "cbc(aes)";
inline constexpr std::string_view kXfrmHmacSha256 = "hmac(sha256)";

// The kernel crypto API name of an IKEv2 ENCR or INTEG transform
// ("rfc4106(gcm(aes))", "cbc(aes)", "hmac(sha256)"), or "" if XFRM has none.
std::string_view xfrm_algorithm_name(const crypto::TransformInfo& t);

struct XfrmAlgorithm {
  std::string_view name; // kernel name, e.g. kXfrmAesGcm; at most 63 characters
  ByteView key;          // AEAD: key || salt (RFC 4106 8.1: 4 salt bytes at the end)
  uint32_t icv_bits = 0; // AEAD ICV length / AUTH truncation length in bits; unused for CRYPT
};

struct XfrmMark {
  uint32_t value = 0;
  uint32_t mask = 0xffffffff;
  friend bool operator==(const XfrmMark&, const XfrmMark&) = default;
};

// RFC 3948 UDP encapsulation of ESP (UDP_ENCAP_ESPINUDP), ports in host order.
struct XfrmEncap {
  uint16_t sport = 4500;
  uint16_t dport = 4500;
};

// One ESP SA (XFRM state). src/dst are the outer addresses: for tunnel mode the
// tunnel endpoints, for transport mode the hosts.
struct XfrmSa {
  IpAddress src;
  IpAddress dst;
  uint32_t spi = 0; // host order
  XfrmMode mode = XfrmMode::tunnel;
  uint32_t reqid = 0;
  // Inbound anti-replay window in packets (RFC 4303 3.4.3). Windows above 32 or
  // esn=true are sent as XFRMA_REPLAY_ESN_VAL, like iproute2 does.
  uint32_t replay_window = 32;
  bool esn = false;                   // RFC 4303 2.2.1 extended sequence numbers
  std::optional<XfrmAlgorithm> aead;  // XFRMA_ALG_AEAD, or:
  std::optional<XfrmAlgorithm> crypt; // XFRMA_ALG_CRYPT
  std::optional<XfrmAlgorithm> auth;  // XFRMA_ALG_AUTH_TRUNC
  std::optional<XfrmEncap> encap;     // XFRMA_ENCAP
  std::optional<XfrmMark> mark;       // XFRMA_MARK
  std::optional<uint32_t> if_id;      // XFRMA_IF_ID (xfrm interfaces)
};

// What names an SA in the kernel's SAD: (dst, spi, proto) plus src and mark.
struct XfrmSaId {
  IpAddress src;
  IpAddress dst;
  uint32_t spi = 0;
  std::optional<XfrmMark> mark;
};

// RFC 4301 4.4.1.1 selector: addresses as prefixes, an upper-layer protocol and ports
// as value/mask (a mask of 0 with a non-zero port: that port exactly; both 0: any).
// For ICMP/ICMPv6 the kernel reads sport as the Type and dport as the Code.
struct XfrmSelector {
  Prefix src;
  Prefix dst;
  uint8_t proto = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint16_t sport_mask = 0;
  uint16_t dport_mask = 0;
  friend bool operator==(const XfrmSelector&, const XfrmSelector&) = default;
};

struct XfrmTemplate {
  IpAddress src; // tunnel endpoints (tunnel mode); ignored by the kernel in transport mode
  IpAddress dst;
  uint32_t reqid = 0;
  XfrmMode mode = XfrmMode::tunnel;
  friend bool operator==(const XfrmTemplate&, const XfrmTemplate&) = default;
};

struct XfrmPolicy {
  XfrmSelector sel;
  XfrmDir dir = XfrmDir::out;
  uint32_t priority = 0;
  XfrmAction action = XfrmAction::allow;
  std::optional<XfrmTemplate> tmpl; // ESP template; none for a bypass/block policy
  std::optional<XfrmMark> mark;
  std::optional<uint32_t> if_id;
};

struct XfrmPolicyId {
  XfrmSelector sel;
  XfrmDir dir = XfrmDir::out;
  std::optional<XfrmMark> mark;
  std::optional<uint32_t> if_id;
};

// Current lifetime and statistics of an SA (xfrm_usersa_info.curlft and .stats).
struct XfrmSaCounters {
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t add_time = 0; // seconds since the epoch the SA was added
  uint64_t use_time = 0; // first use, 0 if never
  uint32_t replay_window_drops = 0;
  uint32_t replay_drops = 0;
  uint32_t integrity_failed = 0;
};

// ---- building (pure; `out` must be 4-byte aligned) ----
Result<size_t> build_xfrm_newsa(const XfrmSa& sa, uint32_t seq, MutBytes out);
Result<size_t> build_xfrm_delsa(const XfrmSaId& id, uint32_t seq, MutBytes out);
Result<size_t> build_xfrm_getsa(const XfrmSaId& id, uint32_t seq, MutBytes out);
Result<size_t> build_xfrm_newpolicy(const XfrmPolicy& policy, uint32_t seq, MutBytes out);
// XFRM_MSG_UPDPOLICY: the same body; the kernel replaces the policy with these
// selectors and direction (or adds it).
Result<size_t> build_xfrm_updpolicy(const XfrmPolicy& policy, uint32_t seq, MutBytes out);
Result<size_t> build_xfrm_delpolicy(const XfrmPolicyId& id, uint32_t seq, MutBytes out);
// Parses the XFRM_MSG_NEWSA the kernel answers a GETSA with.
Result<XfrmSaCounters> parse_xfrm_sa_counters(ByteView message);

// ---- sending ----
class XfrmNetlink {
public:
  static Result<XfrmNetlink> open();
  // Requests go to `transport` instead of the kernel; its NetlinkAck is the kernel's
  // verdict (queries get no reply message). For tests of what is sent, and in which
  // order.
  using Transport = std::function<Result<NetlinkAck>(ByteView request)>;
  static XfrmNetlink with_transport(Transport transport);

  // A refused ESP state is Errc::environment when the kernel lacks ESP or the
  // algorithm (EPROTONOSUPPORT / ENOSYS), with a message naming the kernel option.
  Result<void> add_sa(const XfrmSa& sa);
  Result<void> delete_sa(const XfrmSaId& id);
  Result<XfrmSaCounters> sa_counters(const XfrmSaId& id);
  Result<void> add_policy(const XfrmPolicy& policy);
  // XFRM_MSG_UPDPOLICY: points an existing policy at another template (rekey).
  Result<void> update_policy(const XfrmPolicy& policy);
  Result<void> delete_policy(const XfrmPolicyId& id);

private:
  XfrmNetlink() = default;
  uint32_t next_seq() { return nl_ ? nl_->next_seq() : ++seq_; }
  Result<NetlinkAck> request(ByteView message);
  Result<NetlinkAck> query(ByteView message, std::vector<uint8_t>& reply);
  Result<void> send_policy(const XfrmPolicy& p, bool update);
  std::optional<NetlinkSocket> nl_;
  Transport transport_;
  uint32_t seq_ = 0;
};

// Whether this network namespace's kernel accepts an ESP state with the given AEAD
// algorithm: adds a throwaway state (127.0.0.253 -> 127.0.0.254) and deletes it.
// Ok when it does; the environment error add_sa would give when it does not.
// `--dataplane auto` picks TUN on error.
Result<void> probe_xfrm_esp(std::string_view aead_name = kXfrmAesGcm);

std::string_view xfrm_dir_name(XfrmDir dir);    // "in", "out", "fwd"
std::string_view xfrm_mode_name(XfrmMode mode); // "transport", "tunnel"

} // namespace ikekit::io
