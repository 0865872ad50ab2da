#include "eap/peer.hpp"

#include "eap/mschapv2_crypto.hpp"
#include "eap/packet.hpp"

#include <charconv>
#include <string_view>

namespace ikekit::eap {

namespace {

std::string_view as_text(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The value of "K=" in a space-separated MS-CHAPv2 message ("S=... M=...").
std::optional<std::string_view> field(std::string_view message, std::string_view key) {
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find(' ', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view token = message.substr(pos, end - pos);
    if (token.size() >= 2 && token.substr(0, 2) == key) return token.substr(2);
    if (token.substr(0, 2) == "M=") break; // the message runs to the end
    pos = end + 1;
  }
  return std::nullopt;
}

} // namespace

Peer::Peer(PeerConfig config, Rng& rng) : config_(std::move(config)), rng_(rng) {
  if (config_.user_name.empty()) config_.user_name = config_.identity;
}

Step Peer::drop(DropReason r) {
  ++stats_.dropped[size_t(r)];
  Step s;
  s.dropped = r;
  return s;
}

Step Peer::finish(FailureReason r, size_t written) {
  state_ = State::done;
  failure_ = r;
  status_ = r == FailureReason::none ? Status::success : Status::failure;
  if (status_ == Status::failure) msk_ = SecretBytes();
  Step s;
  s.written = written;
  return s;
}

// Remembers the Response so a retransmitted Request gets it again.
Step Peer::respond(Result<size_t> n, uint8_t identifier, MutBytes out) {
  if (!n) return finish(FailureReason::internal);
  last_identifier_ = identifier;
  last_response_.assign(out.begin(), out.begin() + long(*n));
  Step s;
  s.written = *n;
  return s;
}

Step Peer::receive(ByteView in, MutBytes out) {
  ++stats_.received;
  if (state_ == State::done) return drop(DropReason::finished);
  auto p = parse_packet(in);
  if (!p) return drop(DropReason::malformed);
  switch (p->code) {
  case Code::response:
    return drop(DropReason::unexpected_code);
  case Code::failure:
    return finish(FailureReason::rejected);
  case Code::success:
    // RFC 2759 8.8 / draft 2.3: success only after the server proved it knows the password.
    return finish(state_ == State::success_answered ? FailureReason::none
                                                    : FailureReason::premature_success);
  case Code::request:
    break;
  }
  if (last_identifier_ && p->identifier == *last_identifier_) { // RFC 3748 4.1
    if (last_response_.size() > out.size()) return drop(DropReason::malformed);
    std::copy(last_response_.begin(), last_response_.end(), out.begin());
    Step s;
    s.written = last_response_.size();
    return s;
  }
  return on_request(*p->type, p->type_data, p->identifier, out);
}

Step Peer::on_request(uint8_t type, ByteView type_data, uint8_t identifier, MutBytes out) {
  switch (Type(type)) {
  case Type::identity:
    return respond(
        write_typed(out, Code::response, identifier, Type::identity, as_bytes(config_.identity)),
        identifier, out);
  case Type::notification: // RFC 3748 5.2: acknowledged with an empty Response
    return respond(write_typed(out, Code::response, identifier, Type::notification, {}), identifier,
                   out);
  case Type::mschapv2:
    return on_mschapv2(type_data, identifier, out);
  case Type::nak:
    return drop(DropReason::unexpected_type); // Nak is a Response-only Type
  }
  return respond(write_nak(out, identifier, Type::mschapv2), identifier, out);
}

Step Peer::on_mschapv2(ByteView type_data, uint8_t identifier, MutBytes out) {
  auto m = parse_mschapv2(Code::request, type_data);
  if (!m) return drop(DropReason::malformed);
  switch (m->opcode) {
  case OpCode::challenge:
    if (state_ != State::waiting) return drop(DropReason::unexpected_opcode);
    return on_challenge(m->ms_chapv2_id, m->value, identifier, out);
  case OpCode::success:
    if (state_ != State::response_sent) return drop(DropReason::unexpected_opcode);
    return on_success_request(m->name_or_message, identifier, out);
  case OpCode::failure:
    if (state_ != State::response_sent) return drop(DropReason::unexpected_opcode);
    return on_failure_request(m->name_or_message, identifier, out);
  case OpCode::response:
    break;
  }
  return drop(DropReason::unexpected_opcode);
}

Step Peer::on_challenge(uint8_t ms_chapv2_id, ByteView challenge, uint8_t identifier,
                        MutBytes out) {
  std::array<uint8_t, kChallengeSize> peer_challenge;
  rng_.fill(peer_challenge);
  auto unicode = password_to_unicode(config_.password.reveal());
  if (!unicode) return finish(FailureReason::internal);
  const std::string_view user = user_name_for_hash(config_.user_name);
  auto nt = generate_nt_response(challenge, peer_challenge, user, unicode->reveal());
  auto hash = nt_password_hash(unicode->reveal());
  if (!nt || !hash) return finish(FailureReason::internal);
  auto hash_hash = hash_nt_password_hash(hash->reveal());
  if (!hash_hash) return finish(FailureReason::internal);
  auto auth =
      generate_authenticator_response(hash_hash->reveal(), *nt, peer_challenge, challenge, user);
  auto msk = mschapv2_msk(hash_hash->reveal(), *nt);
  if (!auth || !msk) return finish(FailureReason::internal);
  expected_auth_ = std::move(*auth);
  msk_ = std::move(*msk);
  // RFC 2759 4: Peer-Challenge, 8 reserved zero bytes, NT-Response, Flags = 0.
  std::array<uint8_t, kResponseValueSize> value{};
  std::copy(peer_challenge.begin(), peer_challenge.end(), value.begin());
  std::copy(nt->begin(), nt->end(), value.begin() + 24);
  MsChapV2Out m{OpCode::response, ms_chapv2_id, value, as_bytes(config_.user_name)};
  state_ = State::response_sent;
  return respond(write_mschapv2(out, Code::response, identifier, m), identifier, out);
}

Step Peer::on_success_request(ByteView message, uint8_t identifier, MutBytes out) {
  auto s = field(as_text(message), "S=");
  const std::string received = s ? "S=" + std::string(*s) : std::string();
  if (!check_authenticator_response(expected_auth_, received))
    return finish(FailureReason::authenticator_mismatch);
  state_ = State::success_answered;
  MsChapV2Out m{OpCode::success, 0, {}, {}, true};
  return respond(write_mschapv2(out, Code::response, identifier, m), identifier, out);
}

// draft 2.5/2.6: note the error and answer with a Failure Response (we do not retry or
// change the password).
Step Peer::on_failure_request(ByteView message, uint8_t identifier, MutBytes out) {
  auto e = field(as_text(message), "E=");
  unsigned code = 0;
  if (e) std::from_chars(e->data(), e->data() + e->size(), code);
  server_error_ = code;
  MsChapV2Out m{OpCode::failure, 0, {}, {}, true};
  Step s = respond(write_mschapv2(out, Code::response, identifier, m), identifier, out);
  const size_t n = s.written;
  return finish(code == 691 ? FailureReason::authentication_failure : FailureReason::server_failure,
                n);
}

} // namespace ikekit::eap
