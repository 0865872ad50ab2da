// Keys read from a daemon's debug log (strongSwan's charon at "ike 4, chd 4", Libreswan's
// pluto with "plutodebug=private"), and their matching to the SAs of a capture.
//
// A log names keys, not always SAs: charon prints SKEYSEED and SK_* without the SPIs
// (natd_chunk dumps carry them only for IKE_SA_INIT) and a Child SA's keys with the
// KEYMAT seed (Ni | Nr, or g^ir | Ni | Nr with PFS). So blocks are matched when the
// capture shows the SA, by evidence, never by guess:
//   - an IKE SA: its SPIs as logged, or SK_* recomputed from the logged SKEYSEED with the
//     capture's nonces and SPIs (RFC 7296 2.14) equal the logged SK_d / SK_e, or SKEYSEED
//     recomputed from the logged DH secret (2.14, or 2.18 for a rekey) equals the logged one;
//   - a Child SA: the logged seed ends with the exchange's Ni | Nr (RFC 7296 2.17);
//   - an ESP SPI with no exchange in the capture: the SPIs charon logs when it installs
//     the SA, with the direction from the exchange role the log shows.
// A block that matches nothing is reported (unmatched()), not used.
#pragma once

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/suite.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ikekit::decode {

struct IkeSaKeys;
struct ChildSaKeys;

// One derivation of IKE SA keys in the log; empty fields were not logged.
struct LoggedIkeKeys {
  size_t line = 0; // where the block starts
  std::optional<std::pair<uint64_t, uint64_t>> spis;
  SecretBytes dh_secret, skeyseed, sk_d, sk_ai, sk_ar, sk_ei, sk_er;
  bool matched = false;
};

// One Child SA's keys in the log (charon's keymat_v2 and child_sa lines).
struct LoggedChildKeys {
  size_t line = 0;
  SecretBytes seed; // [g^ir |] Ni | Nr
  SecretBytes encr_i, encr_r, integ_i, integ_r;
  // From "adding inbound/outbound ESP SA" (SPI, src, dst), and whether the logging host
  // initiated the exchange that created the SA (from its "parsed ..." line).
  struct Installed {
    uint32_t spi = 0;
    IpAddress src, dst;
  };
  std::optional<Installed> inbound, outbound;
  std::optional<bool> initiator;
  // The algorithms of the "selected proposal: ESP:..." line before the keys.
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  bool matched = false;
};

// What the capture knows about an IKE SA that has no keys yet.
struct IkeSaEvidence {
  uint64_t spi_i = 0, spi_r = 0;
  ByteView ni, nr;
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  const crypto::TransformInfo* prf = nullptr;
  // A rekeyed IKE SA (RFC 7296 2.18): the old SA's SK_d and prf.
  const SecretBytes* old_sk_d = nullptr;
  const crypto::TransformInfo* old_prf = nullptr;
};

// A Child SA created in the capture (IKE_AUTH or CREATE_CHILD_SA response).
struct ChildSaEvidence {
  ByteView ni, nr;
  uint32_t spi_from_initiator = 0; // inbound at the exchange initiator
  uint32_t spi_from_responder = 0; // inbound at the exchange responder
  IpAddress initiator, responder;
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  // The parent IKE SA's prf and SK_d, to derive KEYMAT from the logged seed when the
  // log lacks the keys themselves.
  const crypto::TransformInfo* prf = nullptr;
  const SecretBytes* sk_d = nullptr;
};

// A log block no SA in the capture matched, for the output.
struct UnmatchedKeys {
  std::string file;
  size_t line = 0;
  std::string kind; // "ike_sa" or "child_sa"
  std::optional<std::pair<uint64_t, uint64_t>> spis;
  std::optional<uint32_t> spi_in, spi_out;
  std::string reason;
};

class LogKeys {
public:
  explicit LogKeys(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  std::vector<LoggedIkeKeys>& ike() { return ike_; }
  std::vector<LoggedChildKeys>& child() { return child_; }
  const std::vector<LoggedIkeKeys>& ike() const { return ike_; }
  const std::vector<LoggedChildKeys>& child() const { return child_; }
  // Problems met while reading (a dump cut short, keys without their block), each
  // naming file:line; reading goes on.
  std::vector<Error>& problems() { return problems_; }
  const std::vector<Error>& problems() const { return problems_; }

  // The keys of the first unmatched block the evidence proves (then marked matched).
  std::optional<IkeSaKeys> match_ike(const IkeSaEvidence& ev);
  // Both ESP SAs of a Child SA: {to the responder, to the initiator}.
  std::optional<std::pair<ChildSaKeys, ChildSaKeys>> match_child(const ChildSaEvidence& ev);
  // An ESP SA by the SPI charon logged when installing it (no exchange in the capture),
  // installed from src to dst where `at(src, dst)` holds.
  std::optional<ChildSaKeys>
  match_installed(uint32_t spi,
                  const std::function<bool(const IpAddress& src, const IpAddress& dst)>& at);

  std::vector<UnmatchedKeys> unmatched() const;

private:
  std::optional<IkeSaKeys> try_ike(LoggedIkeKeys& b, const IkeSaEvidence& ev) const;
  std::string file_;
  std::vector<LoggedIkeKeys> ike_;
  std::vector<LoggedChildKeys> child_;
  std::vector<Error> problems_;
  size_t next_ike_ = 0; // blocks before it are all matched (the usual order of a log)
};

// strongSwan charon debug log (filelog, syslog or journal text; any time format; with or
// without ike_name). Never fails: what it cannot use is in problems().
LogKeys parse_charon_log(std::string_view text, std::string_view name);
// Libreswan pluto debug log with plutodebug=private: "ikev2 I|R SPIi SPIr integ:SK_a
// encr:SK_e" lines (ikev2_log_parentSA). Pluto prints no SK_d, SKEYSEED or AEAD salt.
LogKeys parse_pluto_log(std::string_view text, std::string_view name);

// Markers that tell a charon or pluto log from other key files (format detection).
bool looks_like_charon_log(std::string_view text);
bool looks_like_pluto_log(std::string_view text);

} // namespace ikekit::decode
