// EAP as an authentication method inside IKE_AUTH, RFC 7296 2.16.
//
// "For EAP methods that create a shared key as a side effect of authentication, that
// shared key MUST be used by both the Initiator and Responder to generate AUTH payloads
// in messages 7 and 8 using the syntax for shared secrets specified in Section 2.15. The
// shared key from EAP is the field from the EAP specification named MSK."
//
//   AUTH = prf( prf(MSK, "Key Pad for IKEv2"), <InitiatorSignedOctets | ResponderSignedOctets>)
//
// The whole MSK is the key (64 bytes for EAP-MSCHAPv2, RFC 3079 / draft-kamath; the prf
// takes keys of any length, RFC 2104 2), as strongSwan does. The signed octets use the ID
// payloads of the first IKE_AUTH pair.
//
// The local backend runs eap::Server (EAP-Identity, then EAP-MSCHAPv2) against a password
// lookup.
#include "eap/server.hpp"
#include "ike/eap_exchange.hpp"
#include "ike/engine_impl.hpp"

namespace ikekit::ike {

Result<Bytes> Engine::Impl::msk_auth_data(const IkeSa& sa, bool initiator_side, ByteView id_body) {
  if (!sa.eap || sa.eap->msk.empty())
    return make_error(Errc::bad_value, "eap.msk", "the EAP method produced no MSK");
  return shared_key_auth_data(sa, initiator_side, id_body, sa.eap->msk.reveal());
}

namespace {

// RFC 3748 4: Identifiers need only differ between consecutive Requests; a random start
// keeps runs of different IKE SAs apart in a capture.
uint8_t random_identifier(Rng& rng) {
  uint8_t b[1];
  rng.fill(b);
  return b[0];
}

class LocalMschapv2Session final : public EapServerSession {
public:
  LocalMschapv2Session(Rng& rng, const eap::PasswordLookup& lookup, std::string name)
      : server_(eap::ServerConfig{std::move(name), random_identifier(rng)}, rng, lookup) {}
  Result<size_t> start(MutBytes out) override { return server_.start(out); }
  eap::Step receive(ByteView in, MutBytes out) override { return server_.receive(in, out); }
  eap::Status status() const override { return server_.status(); }
  eap::FailureReason failure() const override {
    return server_.status() == eap::Status::failure ? server_.failure() : server_.pending_failure();
  }
  std::string identity() const override { return server_.identity(); }
  const SecretBytes& msk() const override { return server_.msk(); }

private:
  eap::Server server_;
};

class LocalMschapv2Backend final : public EapServerBackend {
public:
  LocalMschapv2Backend(eap::PasswordLookup lookup, std::string name)
      : lookup_(std::move(lookup)), name_(std::move(name)) {}
  std::string_view method() const override { return "eap-mschapv2"; }
  std::unique_ptr<EapServerSession> open(Rng& rng) const override {
    return std::make_unique<LocalMschapv2Session>(rng, lookup_, name_);
  }

private:
  eap::PasswordLookup lookup_;
  std::string name_;
};

} // namespace

std::shared_ptr<EapServerBackend> local_mschapv2_backend(eap::PasswordLookup lookup,
                                                         std::string server_name) {
  return std::make_shared<LocalMschapv2Backend>(std::move(lookup), std::move(server_name));
}

} // namespace ikekit::ike
