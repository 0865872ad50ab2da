// Where a responder's EAP server comes from (RFC 7296 2.16: the responder is the EAP
// authenticator). The engine opens one EapServerSession per IKE SA that asks for EAP and
// carries its packets in IKE_AUTH; the backend decides how the peer is checked: against
// local users (local_mschapv2_backend) or, later, by passing the packets to a RADIUS
// server (RFC 3579). Sessions answer each Response at once; a RADIUS backend will need a
// pending answer that the engine resumes (not there yet).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/secret_bytes.hpp"
#include "eap/outcome.hpp"
#include "eap/server.hpp"

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

} // namespace ikekit::ike
