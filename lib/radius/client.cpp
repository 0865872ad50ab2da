#include "radius/client.hpp"

#include "radius/mppe.hpp"

#include <algorithm>

namespace ikekit::radius {

namespace {

constexpr size_t kMaxEapMessage = kMaxPacketSize; // joined EAP-Message never exceeds a packet

} // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
  case Outcome::accept:
    return "accept";
  case Outcome::reject:
    return "reject";
  case Outcome::challenge:
    return "challenge";
  case Outcome::timeout:
    return "timeout";
  }
  return "unknown";
}

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
  case DropReason::malformed:
    return "malformed";
  case DropReason::unknown_identifier:
    return "unknown_identifier";
  case DropReason::bad_authenticator:
    return "bad_authenticator";
  case DropReason::unexpected_code:
    return "unexpected_code";
  case DropReason::bad_attribute:
    return "bad_attribute";
  }
  return "unknown";
}

Client::Client(ClientConfig config, Rng& rng)
    : config_(std::move(config)), rng_(rng), ids_in_use_(config_.secrets.size()),
      next_id_(config_.secrets.size()) {
  if (config_.transmissions == 0) config_.transmissions = 1;
}

std::optional<uint8_t> Client::take_identifier(size_t server) {
  auto& used = ids_in_use_[server];
  for (unsigned k = 0; k < 256; ++k) {
    const uint8_t id = uint8_t(next_id_[server] + k);
    if (!used.test(id)) {
      used.set(id);
      next_id_[server] = uint8_t(id + 1);
      return id;
    }
  }
  return std::nullopt;
}

// (Re)builds the datagram for p.server: a new Identifier and Request Authenticator.
Result<void> Client::build(Pending& p) {
  auto id = take_identifier(p.server);
  if (!id)
    return make_error(Errc::unsupported, "radius.identifier",
                      "256 requests already outstanding at server " + std::to_string(p.server));
  p.identifier = *id;
  rng_.fill(p.authenticator); // RFC 2865 3: unpredictable
  AccessRequest req{p.user_name, p.eap_message,        p.state,     p.nas_identifier,
                    p.nas_ip,    p.calling_station_id, p.framed_mtu};
  p.datagram.resize(kMaxPacketSize);
  auto n = write_access_request(p.datagram, p.identifier, p.authenticator, req,
                                config_.secrets[p.server].reveal());
  if (!n) {
    ids_in_use_[p.server].reset(p.identifier);
    return n.error();
  }
  p.datagram.resize(*n);
  p.sent = 0;
  p.due = true;
  return {};
}

Result<RequestHandle> Client::send(const AccessRequest& request, TimePoint now) {
  if (config_.secrets.empty())
    return make_error(Errc::usage, "radius.servers", "no RADIUS server configured");
  Pending p;
  p.handle = next_handle_++;
  p.server = current_server_;
  p.user_name = request.user_name;
  p.nas_identifier = request.nas_identifier;
  p.calling_station_id = request.calling_station_id;
  p.eap_message.assign(request.eap_message.begin(), request.eap_message.end());
  p.state.assign(request.state.begin(), request.state.end());
  p.nas_ip = request.nas_ip;
  p.framed_mtu = request.framed_mtu;
  p.deadline = now;
  auto b = build(p);
  if (!b) return b.error();
  pending_.push_back(std::move(p));
  ++stats_.requests;
  return pending_.back().handle;
}

std::optional<Transmit> Client::poll_transmit(MutBytes out) {
  for (auto& p : pending_) {
    if (!p.due || p.datagram.size() > out.size()) continue;
    std::copy(p.datagram.begin(), p.datagram.end(), out.begin());
    p.due = false;
    p.deadline = p.deadline + config_.timeout;
    ++p.sent;
    ++stats_.transmissions;
    if (p.sent > 1) ++stats_.retransmissions;
    return Transmit{p.server, p.datagram.size()};
  }
  return std::nullopt;
}

void Client::finish(std::vector<Pending>::iterator it, Response r, bool release_identifier) {
  if (release_identifier) ids_in_use_[it->server].reset(it->identifier);
  r.handle = it->handle;
  responses_.push_back(std::move(r));
  pending_.erase(it);
}

void Client::on_timeout(TimePoint now) {
  for (size_t i = 0; i < pending_.size();) {
    Pending& p = pending_[i];
    if (p.due || p.deadline > now) {
      ++i;
      continue;
    }
    if (p.sent < config_.transmissions) { // RFC 5080 2.2.1: the same datagram again
      p.due = true;
      p.deadline = now;
      ++i;
      continue;
    }
    const bool can_fail_over = p.state.empty() && p.servers_tried < config_.secrets.size();
    if (!can_fail_over) {
      ++stats_.timeouts;
      Response r;
      r.outcome = Outcome::timeout;
      r.server = p.server;
      finish(pending_.begin() + long(i), std::move(r));
      continue;
    }
    ids_in_use_[p.server].reset(p.identifier);
    p.server = (p.server + 1) % config_.secrets.size();
    ++p.servers_tried;
    ++stats_.failovers;
    current_server_ = p.server; // later requests start at the server that may answer
    p.deadline = now;
    if (!build(p)) { // no identifier left there: give up on this request
      ++stats_.timeouts;
      Response r;
      r.server = p.server;
      finish(pending_.begin() + long(i), std::move(r), false); // it holds no identifier now
      continue;
    }
    ++i;
  }
}

std::optional<TimePoint> Client::next_timeout() const {
  std::optional<TimePoint> t;
  for (const auto& p : pending_)
    if (!p.due && (!t || p.deadline < *t)) t = p.deadline;
  return t;
}

Result<Response> Client::response_from(const Pending& p, const Packet& packet) const {
  Response r;
  r.server = p.server;
  switch (Code(packet.code)) {
  case Code::access_accept:
    r.outcome = Outcome::accept;
    break;
  case Code::access_reject:
    r.outcome = Outcome::reject;
    break;
  case Code::access_challenge:
    r.outcome = Outcome::challenge;
    break;
  default:
    return make_error(Errc::protocol, "radius.code", "unexpected");
  }
  r.eap_message.resize(kMaxEapMessage);
  auto n = eap_message(packet, r.eap_message);
  if (!n) return n.error();
  r.eap_message.resize(*n);
  if (auto s = packet.find(attr::state)) r.state.assign(s->value.begin(), s->value.end());
  if (auto m = packet.find(attr::reply_message))
    r.reply_message.assign(m->value.begin(), m->value.end());
  const ByteView secret = config_.secrets[p.server].reveal();
  for (auto [type, key] :
       {std::pair{kMsMppeSendKey, &r.mppe_send_key}, std::pair{kMsMppeRecvKey, &r.mppe_recv_key}}) {
    auto v = find_ms_attribute(packet, type);
    if (!v) continue;
    auto k = decrypt_mppe_key(*v, secret, p.authenticator);
    if (!k) return k.error();
    *key = std::move(*k);
  }
  return r;
}

void Client::receive(size_t server, ByteView datagram, TimePoint now) {
  (void)now;
  auto packet = parse_packet(datagram);
  if (!packet) return drop(DropReason::malformed);
  auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
    return p.server == server && p.identifier == packet->identifier && p.sent > 0;
  });
  if (it == pending_.end()) return drop(DropReason::unknown_identifier);
  if (!verify_response(*packet, it->authenticator, config_.secrets[server].reveal()))
    return drop(DropReason::bad_authenticator);
  const Code code = Code(packet->code);
  if (code != Code::access_accept && code != Code::access_reject && code != Code::access_challenge)
    return drop(DropReason::unexpected_code);
  auto r = response_from(*it, *packet);
  if (!r) return drop(DropReason::bad_attribute);
  ++stats_.responses;
  current_server_ = server;
  finish(it, std::move(*r));
}

bool Client::outstanding(RequestHandle handle) const {
  return std::any_of(pending_.begin(), pending_.end(),
                     [&](const Pending& p) { return p.handle == handle; });
}

std::optional<Response> Client::poll_response() {
  if (responses_.empty()) return std::nullopt;
  Response r = std::move(responses_.front());
  responses_.erase(responses_.begin());
  return r;
}

} // namespace ikekit::radius
