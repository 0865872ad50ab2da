// The socket thread's half of RFC 7296 2.6 in a multi-core responder (io::IkeRunner with
// threads): before an IKE message is handed to the engine that owns it (ike/shard.hpp),
// an IKE_SA_INIT request without a valid COOKIE is answered here, statelessly, with
// N(COOKIE) while COOKIEs are required -- the half-open SAs of all engines together
// (AdmissionState, shared with the engines) reach Config::cookie_threshold, or
// Config::force_cookies. A flood from spoofed addresses then costs one HMAC per request
// on this thread and never reaches an engine's inbox; what is handed off is a request
// with a valid COOKIE, any request while none is required, and every other message.
//
//   IKE message
//     -> not an IKE_SA_INIT request (exchange 34, Initiator flag, not a response,
//        SPIr zero, message ID zero): hand off (the engine checks the rest)
//     -> no COOKIE required now: hand off
//     -> header length wrong, chain does not parse, no Nonce: drop (malformed)
//     -> N(COOKIE) valid for Ni | IPi | SPIi: hand off (the engine checks it again)
//     -> else: answer HDR(SPIi, 0), N(COOKIE); a wrong COOKIE counts invalid_cookie
//
// Sans-I/O (DESIGN 1): a message in, a verdict and the answer's bytes out; nothing is
// allocated for a well-formed message. One thread uses a screen; its counters are an
// engine's Stats (what it received, sent, answered and dropped), so ikectl status adds
// them to the engines'.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "ike/admission_state.hpp"
#include "ike/config.hpp"
#include "ike/stats.hpp"

#include <memory>

namespace ikekit::ike {

class InitScreen {
public:
  enum class Verdict : uint8_t { hand_off, answer, drop };
  struct Outcome {
    Verdict verdict = Verdict::hand_off;
    size_t answer_size = 0; // Verdict::answer: the N(COOKIE) response's bytes in `answer`
  };
  // The bytes a COOKIE answer needs: the IKE header, a Notify header and the COOKIE.
  static constexpr size_t kMaxAnswer = 28 + 8 + AdmissionState::kCookieSize;

  // `config`: the responder's (cookie_threshold, force_cookies); `rng` renews the
  // shared secret when due (this thread's own).
  InitScreen(const Config& config, std::shared_ptr<AdmissionState> admission, Rng& rng);

  // `message`: a bare IKE message (no non-ESP marker) from `from`; `answer` receives
  // the response (at least kMaxAnswer bytes, else a request to answer is dropped).
  Outcome screen(ByteView message, const IpAddress& from, TimePoint now, MutBytes answer);
  // A message handed off that did not fit its engine's inbox: received and dropped
  // (DropReason::handoff_full); the peer retransmits.
  void count_handoff_full();
  const Stats& stats() const { return stats_; }

private:
  Outcome drop(DropReason r);

  size_t cookie_threshold_;
  bool force_cookies_;
  std::shared_ptr<AdmissionState> admission_;
  Rng& rng_;
  Stats stats_;
};

} // namespace ikekit::ike
