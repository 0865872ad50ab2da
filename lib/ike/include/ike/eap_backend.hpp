// Where a responder's EAP server comes from (RFC 7296 2.16: the responder is the EAP
// authenticator). The engine opens one EapServerSession per IKE SA that asks for EAP and
// carries its packets in IKE_AUTH; the backend decides how the peer is checked: against
// local users (local_mschapv2_backend), answering each Response at once, or by passing
// the packets to an EAP server elsewhere (relay_backend: RADIUS, RFC 3579), whose
// answers the engine waits for (ike/eap_relay.hpp) and resumes the session with.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/secret_bytes.hpp"
#include "eap/outcome.hpp"
#include "eap/server.hpp"
#include "ike/eap_relay.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace ikekit::ike {

// One EAP run on the server side, shaped like eap::Server (sans-I/O).
class EapServerSession {
public:
  virtual ~EapServerSession() = default;
  // The first Request (normally Identity) into `out`.
  virtual Result<size_t> start(MutBytes out) = 0;
  // One packet from the peer; the next packet (Request, Success or Failure) into `out`.
  virtual eap::Step receive(ByteView in, MutBytes out) = 0;
  virtual eap::Status status() const = 0;
  // Why it failed, or is failing (a failure message is out, the peer's answer due).
  virtual eap::FailureReason failure() const = 0;
  virtual std::string identity() const = 0;   // the peer's EAP identity, once known
  virtual const SecretBytes& msk() const = 0; // the MSK (RFC 3748 7.10) after success

  // A session whose server is elsewhere does not answer at once: after receive() (which
  // then writes nothing) waiting() is true, the engine sends a backend request that
  // fill_request() completes (identity, the packet, state), and resume() takes the
  // answer and writes the packet for the peer as receive() would have. Local sessions
  // never wait.
  virtual bool waiting() const { return false; }
  virtual void fill_request(EapBackendRequest& r) const { (void)r; }
  virtual eap::Step resume(const EapBackendAnswer& a, MutBytes out) {
    (void)a;
    (void)out;
    return {};
  }
  // More words for a failure event (the server, its Reply-Message); "" when none.
  virtual std::string failure_detail() const { return {}; }
};

class EapServerBackend {
public:
  virtual ~EapServerBackend() = default;
  virtual std::string_view method() const = 0; // "eap-mschapv2"
  virtual std::unique_ptr<EapServerSession> open(Rng& rng) const = 0;
};

// EAP-MSCHAPv2 against local users: `lookup` gives an identity's password (nullopt for
// an unknown user, which the peer sees as a wrong password, E=691).
std::shared_ptr<EapServerBackend> local_mschapv2_backend(eap::PasswordLookup lookup,
                                                         std::string server_name = "ikekit");

// EAP passed through to a server elsewhere (RFC 3579 2.1): the session asks for the
// identity itself (EAP-Request/Identity), then relays every Response to the backend and
// its answers to the peer; the MSK comes with the accept. method() is "eap-radius".
std::shared_ptr<EapServerBackend> relay_backend();

} // namespace ikekit::ike
