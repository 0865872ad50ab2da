// EAP passed through to a server elsewhere (RFC 3579 2.1, ike/eap_relay.hpp):
//
//   "the NAS sends an EAP-Request/Identity to the peer, and forwards the EAP-Response/
//    Identity to the RADIUS server in the EAP-Message attribute within an Access-Request"
//
// After that the NAS (we) relays: every Response of the peer goes to the backend, every
// Request of the backend to the peer, until the backend accepts (EAP-Success, the MSK) or
// rejects (EAP-Failure). A pass-through authenticator checks only the EAP header (RFC 3748
// 2.1: Code, Identifier, Length); the method is the backend's business.
#include "eap/packet.hpp"
#include "ike/eap_backend.hpp"

namespace ikekit::ike {

std::string_view eap_backend_verdict_name(EapBackendVerdict v) {
  switch (v) {
  case EapBackendVerdict::challenge:
    return "challenge";
  case EapBackendVerdict::accept:
    return "accept";
  case EapBackendVerdict::reject:
    return "reject";
  case EapBackendVerdict::timeout:
    return "timeout";
  }
  return "unknown";
}

namespace {

class RelaySession final : public EapServerSession {
public:
  explicit RelaySession(Rng& rng) {
    uint8_t b[1];
    rng.fill(b); // RFC 3748 4: a random first Identifier keeps runs apart in a capture
    identifier_ = b[0];
  }

  Result<size_t> start(MutBytes out) override {
    return eap::write_typed(out, eap::Code::request, identifier_, eap::Type::identity, {});
  }

  eap::Step receive(ByteView in, MutBytes out) override {
    (void)out;
    if (status_ != eap::Status::running || waiting_) return drop(eap::DropReason::finished);
    auto p = eap::parse_packet(in);
    if (!p) return drop(eap::DropReason::malformed);
    if (p->code != eap::Code::response) return drop(eap::DropReason::unexpected_code);
    if (p->identifier != identifier_) return drop(eap::DropReason::identifier_mismatch);
    if (identity_.empty()) { // the answer to our Request/Identity
      if (p->type != uint8_t(eap::Type::identity) || p->type_data.empty())
        return drop(eap::DropReason::unexpected_type);
      identity_.assign(p->type_data.begin(), p->type_data.end());
    }
    response_.assign(p->bytes.begin(), p->bytes.end());
    waiting_ = true;
    return {};
  }

  eap::Step resume(const EapBackendAnswer& a, MutBytes out) override {
    waiting_ = false;
    state_ = a.state;
    detail_ = a.detail;
    auto p = eap::parse_packet(a.eap_message);
    switch (a.verdict) {
    case EapBackendVerdict::challenge:
      if (!p || p->code != eap::Code::request)
        return fail(eap::FailureReason::internal, out,
                    "the backend's challenge carries no EAP-Request");
      identifier_ = p->identifier;
      return copy(p->bytes, out);
    case EapBackendVerdict::accept:
      if (a.msk.empty()) // RFC 7296 2.16: AUTH needs the MSK; a method without one cannot be used
        return fail(eap::FailureReason::internal, out,
                    "the backend accepted without an MSK (RADIUS: no MS-MPPE keys)");
      msk_ = a.msk;
      status_ = eap::Status::success;
      if (p && p->code == eap::Code::success) return copy(p->bytes, out);
      return result(eap::Code::success, out);
    case EapBackendVerdict::reject:
      return fail(eap::FailureReason::backend_reject, out, "", p ? &*p : nullptr);
    case EapBackendVerdict::timeout:
      break;
    }
    return fail(eap::FailureReason::backend_timeout, out, "");
  }

  bool waiting() const override { return waiting_; }
  void fill_request(EapBackendRequest& r) const override {
    r.identity = identity_;
    r.eap_message = response_;
    r.state = state_;
  }
  eap::Status status() const override { return status_; }
  eap::FailureReason failure() const override { return failure_; }
  std::string identity() const override { return identity_; }
  const SecretBytes& msk() const override { return msk_; }
  std::string failure_detail() const override { return detail_; }

private:
  static eap::Step drop(eap::DropReason r) { return eap::Step{0, r}; }
  static eap::Step copy(ByteView packet, MutBytes out) {
    if (packet.size() > out.size()) return {};
    std::copy(packet.begin(), packet.end(), out.begin());
    return eap::Step{packet.size(), std::nullopt};
  }
  // EAP-Success/Failure carry the Identifier of the Response they answer (RFC 3748 4.2).
  eap::Step result(eap::Code code, MutBytes out) {
    auto n = eap::write_result(out, code, identifier_);
    return eap::Step{n ? *n : 0, std::nullopt};
  }
  // The peer is told EAP-Failure: the backend's own when it sent one.
  eap::Step fail(eap::FailureReason r, MutBytes out, const std::string& why,
                 const eap::Packet* backend_failure = nullptr) {
    status_ = eap::Status::failure;
    failure_ = r;
    if (!why.empty()) detail_ = detail_.empty() ? why : why + "; " + detail_;
    if (backend_failure && backend_failure->code == eap::Code::failure)
      return copy(backend_failure->bytes, out);
    return result(eap::Code::failure, out);
  }

  uint8_t identifier_ = 0; // of the Request outstanding at the peer
  bool waiting_ = false;
  eap::Status status_ = eap::Status::running;
  eap::FailureReason failure_ = eap::FailureReason::none;
  std::string identity_, detail_;
  Bytes response_, state_;
  SecretBytes msk_;
};

class RelayBackend final : public EapServerBackend {
public:
  std::string_view method() const override { return "eap-radius"; }
  std::unique_ptr<EapServerSession> open(Rng& rng) const override {
    return std::make_unique<RelaySession>(rng);
  }
};

} // namespace

std::shared_ptr<EapServerBackend> relay_backend() { return std::make_shared<RelayBackend>(); }

} // namespace ikekit::ike
