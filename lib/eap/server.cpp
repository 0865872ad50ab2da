#include "eap/server.hpp"

#include "base/hex.hpp"
#include "crypto/digest.hpp"
#include "eap/mschapv2_crypto.hpp"
#include "eap/packet.hpp"

#include <algorithm>

namespace ikekit::eap {

namespace {

// RFC 3748 5.1: an identity is at most what fits; we keep a sane cap for lookups.
constexpr size_t kMaxIdentity = 253;

Step written(Result<size_t> n) {
  Step s;
  if (n) s.written = *n;
  return s;
}

} // namespace

Server::Server(ServerConfig config, Rng& rng, PasswordLookup lookup)
    : config_(std::move(config)), rng_(rng), lookup_(std::move(lookup)) {}

Result<size_t> Server::start(MutBytes out) {
  identifier_ = config_.first_identifier;
  auto n = write_typed(out, Code::request, identifier_, Type::identity, {});
  if (n) state_ = State::identity_sent;
  return n;
}

Step Server::drop(DropReason r) {
  ++stats_.dropped[size_t(r)];
  Step s;
  s.dropped = r;
  return s;
}

// Ends the method with EAP-Failure (RFC 3748 4.2: Identifier of the last Response).
Step Server::fail(FailureReason r, MutBytes out, uint8_t identifier) {
  status_ = Status::failure;
  failure_ = r;
  state_ = State::done;
  return written(write_result(out, Code::failure, identifier));
}

Step Server::receive(ByteView in, MutBytes out) {
  ++stats_.received;
  if (state_ == State::done || state_ == State::idle) return drop(DropReason::finished);
  auto p = parse_packet(in);
  if (!p) return drop(DropReason::malformed);
  if (p->code != Code::response) return drop(DropReason::unexpected_code);
  if (p->identifier != identifier_) return drop(DropReason::identifier_mismatch);
  const uint8_t type = *p->type;
  if (state_ == State::identity_sent) {
    if (type != uint8_t(Type::identity)) return drop(DropReason::unexpected_type);
    return on_identity(p->type_data, out);
  }
  if (type == uint8_t(Type::nak)) // RFC 3748 5.3.1: the peer refuses MS-CHAPv2
    return state_ == State::challenge_sent ? fail(FailureReason::rejected, out, p->identifier)
                                           : drop(DropReason::unexpected_type);
  if (type != uint8_t(Type::mschapv2)) return drop(DropReason::unexpected_type);
  if (state_ == State::challenge_sent) return on_response(p->type_data, p->identifier, out);
  return on_final(p->type_data, p->identifier, out);
}

Step Server::on_identity(ByteView type_data, MutBytes out) {
  if (type_data.size() > kMaxIdentity) return drop(DropReason::malformed);
  identity_.assign(type_data.begin(), type_data.end());
  rng_.fill(challenge_);
  identifier_ = uint8_t(identifier_ + 1);
  MsChapV2Out m{OpCode::challenge, identifier_, challenge_, as_bytes(config_.name)};
  auto n = write_mschapv2(out, Code::request, identifier_, m);
  if (!n) return fail(FailureReason::internal, out, identifier_);
  state_ = State::challenge_sent;
  return written(n);
}

Step Server::on_response(ByteView type_data, uint8_t identifier, MutBytes out) {
  auto m = parse_mschapv2(Code::response, type_data);
  if (!m) return drop(DropReason::malformed);
  if (m->opcode != OpCode::response) return drop(DropReason::unexpected_opcode);
  if (m->ms_chapv2_id != identifier_) return drop(DropReason::ms_chapv2_id_mismatch);
  auto value = parse_response_value(m->value);
  if (!value) return drop(DropReason::malformed);
  const std::string_view name(reinterpret_cast<const char*>(m->name_or_message.data()),
                              m->name_or_message.size());
  std::optional<SecretBytes> password = lookup_ ? lookup_(identity_) : std::nullopt;
  // An unknown user gets the same E=691 as a wrong password (no user enumeration).
  if (!password) return send_failure_request(FailureReason::unknown_user, out);
  auto unicode = password_to_unicode(password->reveal());
  if (!unicode) return send_failure_request(FailureReason::authentication_failure, out);
  const std::string_view user = user_name_for_hash(name);
  auto expected = generate_nt_response(challenge_, value->peer_challenge, user, unicode->reveal());
  if (!expected) return fail(FailureReason::internal, out, identifier);
  if (!crypto::constant_time_equal(*expected, value->nt_response))
    return send_failure_request(FailureReason::authentication_failure, out);
  auto hash = nt_password_hash(unicode->reveal());
  if (!hash) return fail(FailureReason::internal, out, identifier);
  auto hash_hash = hash_nt_password_hash(hash->reveal());
  if (!hash_hash) return fail(FailureReason::internal, out, identifier);
  auto auth = generate_authenticator_response(hash_hash->reveal(), value->nt_response,
                                              value->peer_challenge, challenge_, user);
  auto msk = mschapv2_msk(hash_hash->reveal(), value->nt_response);
  if (!auth || !msk) return fail(FailureReason::internal, out, identifier);
  msk_ = std::move(*msk);
  // draft 2.3: Success Request "S=<auth_string> M=<message>", a new Identifier.
  const std::string message = *auth + " M=OK";
  identifier_ = uint8_t(identifier_ + 1);
  auto n =
      write_mschapv2(out, Code::request, identifier_,
                     MsChapV2Out{OpCode::success, uint8_t(identifier_ - 1), {}, as_bytes(message)});
  if (!n) return fail(FailureReason::internal, out, identifier);
  state_ = State::success_sent;
  return written(n);
}

// draft 2.5: Failure Request "E=691 R=0 C=<challenge> V=3 M=<message>" (not retryable).
Step Server::send_failure_request(FailureReason r, MutBytes out) {
  const std::string message =
      "E=691 R=0 C=" + to_hex(ByteView(challenge_)) + " V=3 M=Authentication failed";
  identifier_ = uint8_t(identifier_ + 1);
  auto n =
      write_mschapv2(out, Code::request, identifier_,
                     MsChapV2Out{OpCode::failure, uint8_t(identifier_ - 1), {}, as_bytes(message)});
  pending_failure_ = r;
  msk_ = SecretBytes();
  if (!n) return fail(FailureReason::internal, out, identifier_);
  state_ = State::failure_sent;
  return written(n);
}

// The peer's Success or Failure Response, then EAP-Success or EAP-Failure.
Step Server::on_final(ByteView type_data, uint8_t identifier, MutBytes out) {
  auto m = parse_mschapv2(Code::response, type_data);
  if (!m) return drop(DropReason::malformed);
  const OpCode want = state_ == State::success_sent ? OpCode::success : OpCode::failure;
  if (state_ == State::success_sent && m->opcode == OpCode::failure)
    return fail(FailureReason::rejected, out, identifier); // the peer refused our proof
  if (m->opcode != want) return drop(DropReason::unexpected_opcode);
  if (state_ == State::failure_sent) return fail(pending_failure_, out, identifier);
  status_ = Status::success;
  state_ = State::done;
  return written(write_result(out, Code::success, identifier));
}

} // namespace ikekit::eap
