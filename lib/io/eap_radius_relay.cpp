#include "io/eap_radius_relay.hpp"

#include "radius/mppe.hpp"

#include <algorithm>

namespace ikekit::io {

EapRadiusRelay::EapRadiusRelay(RadiusRelayConfig config, Rng& rng, RadiusTransport transport)
    : config_(std::move(config)),
      client_(radius::ClientConfig{config_.secrets, config_.timeout, config_.transmissions}, rng),
      transport_(std::move(transport)) {}

Result<std::unique_ptr<EapRadiusRelay>> EapRadiusRelay::open(RadiusRelayConfig config, Rng& rng) {
  if (config.servers.empty() || config.servers.size() != config.secrets.size())
    return make_error(Errc::usage, "radius.servers", "one secret per RADIUS server is needed");
  auto t = RadiusTransport::open(config.servers);
  if (!t) return t.error();
  return std::unique_ptr<EapRadiusRelay>(new EapRadiusRelay(std::move(config), rng, std::move(*t)));
}

void EapRadiusRelay::send(const ike::EapBackendRequest& r, TimePoint now) {
  radius::AccessRequest req;
  req.user_name = r.identity;
  req.eap_message = r.eap_message;
  req.state = r.state;
  req.nas_identifier = config_.nas_identifier;
  req.nas_ip = r.local;
  req.calling_station_id = r.remote.to_string() + "[" + std::to_string(r.remote_port) + "]";
  auto h = client_.send(req, now);
  if (!h) {
    ike::EapBackendAnswer a;
    a.token = r.token;
    a.sa = r.sa;
    a.detail = "RADIUS request not sent: " + h.error().message;
    ready_.push_back(std::move(a));
    return;
  }
  waiting_.push_back(Waiting{*h, r.token, r.sa});
}

void EapRadiusRelay::flush() {
  (void)transport_.flush(client_); // a send error loses the datagram; retransmission covers it
}

void EapRadiusRelay::on_readable(TimePoint now) { (void)transport_.on_readable(client_, now); }

void EapRadiusRelay::on_timeout(TimePoint now) { client_.on_timeout(now); }

ike::EapBackendAnswer EapRadiusRelay::answer_for(radius::Response r) const {
  ike::EapBackendAnswer a;
  const std::string server =
      r.server < config_.servers.size() ? config_.servers[r.server].to_string() : "?";
  a.eap_message = std::move(r.eap_message);
  a.state = std::move(r.state);
  switch (r.outcome) {
  case radius::Outcome::challenge:
    a.verdict = ike::EapBackendVerdict::challenge;
    break;
  case radius::Outcome::accept:
    a.verdict = ike::EapBackendVerdict::accept;
    // RFC 2548 2.4.2/2.4.3: both keys or no MSK (the session then fails: no AUTH key).
    if (!r.mppe_recv_key.empty() && !r.mppe_send_key.empty())
      a.msk = radius::msk_from_mppe(r.mppe_recv_key, r.mppe_send_key);
    else
      a.detail = "Access-Accept from " + server + " without MS-MPPE-Recv/Send-Key";
    break;
  case radius::Outcome::reject:
    a.verdict = ike::EapBackendVerdict::reject;
    a.detail = "Access-Reject from " + server;
    if (!r.reply_message.empty()) a.detail += ", Reply-Message \"" + r.reply_message + "\"";
    break;
  case radius::Outcome::timeout:
    a.verdict = ike::EapBackendVerdict::timeout;
    a.detail = "no answer from RADIUS server " + server + " after " +
               std::to_string(config_.transmissions) + " transmissions";
    break;
  }
  return a;
}

std::optional<ike::EapBackendAnswer> EapRadiusRelay::poll_answer() {
  while (auto r = client_.poll_response()) {
    auto it = std::find_if(waiting_.begin(), waiting_.end(),
                           [&](const Waiting& w) { return w.handle == r->handle; });
    if (it == waiting_.end()) continue;
    ike::EapBackendAnswer a = answer_for(std::move(*r));
    a.token = it->token;
    a.sa = it->sa;
    waiting_.erase(it);
    ready_.push_back(std::move(a));
  }
  if (ready_.empty()) return std::nullopt;
  ike::EapBackendAnswer a = std::move(ready_.front());
  ready_.pop_front();
  return a;
}

} // namespace ikekit::io
