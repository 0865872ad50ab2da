#include "io/ike_up_events.hpp"

#include "json/ike_events.hpp"
#include "json/payload_json.hpp"
#include <chrono>
#include <iostream>

namespace ikekit::io {

json::Rfc3339Text now_rfc3339_text() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return json::rfc3339_utc_text(us / 1000000, us % 1000000);
}

std::string now_rfc3339() { return std::string(now_rfc3339_text().view()); }

json::Json kill_switch_event(const KillSwitch& k, const char* reason) {
  json::Json j = {{"type", "kill_switch"},
                  {"time", now_rfc3339()},
                  {"state", k.active() ? "on" : "off"},
                  {"table", std::string("inet ") + kKillSwitchTable}};
  if (!k.active()) {
    j["reason"] = reason;
    return j;
  }
  const KillSwitchConfig& c = k.config();
  j["servers"] = json::Json::array();
  for (const auto& a : c.servers)
    j["servers"].push_back(a.to_string());
  j["tunnel_device"] = c.tunnel_device.empty() ? json::Json() : json::Json(c.tunnel_device);
  j["allow_lan"] = c.allow_lan;
  j["replaced_stale"] = k.replaced_stale();
  return j;
}

IkeUpEvents::IkeUpEvents(json::JsonOutput& out, std::optional<SecretFileWriter> keylog,
                         const std::vector<std::string>& initiate, int verbosity, std::string tool)
    : out_(out), keylog_(std::move(keylog)), pending_(initiate.begin(), initiate.end()),
      verbosity_(verbosity), tool_(std::move(tool)) {}

void IkeUpEvents::attach(IkeRunner* runner, EngineDataplane* dataplane, ControlServer* control) {
  runner_ = runner;
  dataplane_ = dataplane;
  control_ = control;
  if (dataplane_)
    dataplane_->on_failure([this](const Error& e, TimePoint) { dataplane_failed(e); });
}

// One dataplane_error line, on stdout and to the control socket's monitors: a Child SA
// the data plane refused (fatal false), or the data plane stopped (fatal true).
void IkeUpEvents::write_dataplane_error(const Error& e, bool fatal) {
  json::Json j = {{"type", "dataplane_error"},
                  {"time", now_rfc3339()},
                  {"fatal", fatal},
                  {"error", json::error_to_json(e)}};
  out_.write(j);
  if (control_) control_->publish_json(j);
  if (verbosity_ > 0) std::cerr << tool_ << ": dataplane_error\n";
}

// No ESP moves any more: the run ends (IkeRunner::run deletes every IKE SA, so the
// peers stop sending into the tunnel and may reconnect later) and ike-up exits 1 with
// the error EngineDataplane::failure() keeps. It calls this once.
void IkeUpEvents::dataplane_failed(const Error& e) {
  write_dataplane_error(e, true);
  if (runner_) runner_->stop();
}

// The key log holds secrets: the text is wiped once written.
void IkeUpEvents::log_keys(const std::vector<json::Json>& lines) {
  std::string text;
  for (const auto& line : lines)
    text += line.dump() + '\n';
  if (auto w = keylog_->write(text); !w)
    out_.write({{"type", "keylog_error"},
                {"time", now_rfc3339()},
                {"error", json::error_to_json(w.error())}});
  secure_zero(text.data(), text.size());
}

void IkeUpEvents::on_event(const ike::Event& e) {
  if (dataplane_) {
    if (auto r = dataplane_->on_event(e); !r) write_dataplane_error(r.error(), false);
  }
  if (const auto* k = std::get_if<ike::SaKeys>(&e)) {
    if (keylog_) log_keys(json::keylog_lines(*k));
    return;
  }
  if (const auto* up = std::get_if<ike::ChildSaUp>(&e); up && keylog_)
    log_keys(json::keylog_lines(*up));
  write_event(e);
  track_initiators(e);
  if (dns_) track_dns(e);
}

void IkeUpEvents::write_event(const ike::Event& e) {
  // A control socket nobody monitors or waits on needs no JSON object either: the line
  // is rendered straight (json/event_line.hpp) as without one.
  const bool publish = control_ && control_->wants_events();
  if (!publish && verbosity_ == 0 && !out_.pretty() && lines_.render(e, now_rfc3339_text().view()))
    return out_.write_line(lines_.line());
  json::Json j = json::event_to_json(e, now_rfc3339());
  out_.write(j);
  if (publish) control_->publish(e, j);
  if (verbosity_ > 0) std::cerr << tool_ << ": " << j["type"].get<std::string>() << "\n";
}

Result<void> IkeUpEvents::use_dns(const std::optional<DnsRequest>& request, DnsPaths paths) {
  if (!request) return {};
  auto method = choose_dns_method(*request, paths);
  if (!method) return method.error();
  dns_ = std::make_unique<DnsApplier>(*method, std::move(paths));
  return {};
}

json::Json IkeUpEvents::dns_apply_json() const {
  return dns_ ? json::Json(dns_method_name(dns_->method())) : json::Json();
}

Result<void> IkeUpEvents::repair_stale_dns() {
  if (!dns_) return {};
  auto stale = dns_->repair_stale();
  if (!stale) return stale.error();
  for (const auto& c : *stale)
    out_.write(dns_change_json(c, false, now_rfc3339()));
  return {};
}

void IkeUpEvents::dns_failed(const Error& e) {
  out_.write({{"type", "dns_error"}, {"time", now_rfc3339()}, {"error", json::error_to_json(e)}});
}

// Applied with the first Child SA that brings DNS servers (RFC 7296 2.19), restored when
// the last of them is gone: a rekey (the new SA up before the old one goes) keeps them.
void IkeUpEvents::track_dns(const ike::Event& e) {
  if (const auto* up = std::get_if<ike::ChildSaUp>(&e); up && !up->dns.empty()) {
    dns_children_.insert(up->spi_in);
    if (dns_->applied()) return;
    auto c = dns_->apply(up->dns, dataplane_ ? dataplane_->device() : std::string());
    if (!c) return dns_failed(c.error());
    json::Json j = dns_change_json(*c, true, now_rfc3339());
    j["conn"] = up->peer;
    j["outside_tunnel"] = json::Json::array();
    for (const auto& a : dns_outside_tunnel(up->dns, up->remote_ts))
      j["outside_tunnel"].push_back(a.to_string());
    out_.write(j);
  } else if (const auto* down = std::get_if<ike::ChildSaDown>(&e)) {
    if (!dns_children_.erase(down->spi_in) || !dns_children_.empty()) return;
    restore_dns("child_sa_down");
  }
}

void IkeUpEvents::restore_dns(const std::string& reason) {
  if (!dns_) return;
  dns_children_.clear();
  auto c = dns_->restore(reason);
  if (!c) return dns_failed(c.error());
  if (*c) out_.write(dns_change_json(**c, false, now_rfc3339()));
}

// An initiator whose SA fails before it is up ends the run (exit 1) once no initiated
// connection is pending.
void IkeUpEvents::track_initiators(const ike::Event& e) {
  if (const auto* up = std::get_if<ike::IkeSaUp>(&e)) pending_.erase(up->peer);
  std::string failed;
  if (const auto* f = std::get_if<ike::Failure>(&e)) failed = f->peer;
  if (const auto* d = std::get_if<ike::IkeSaDown>(&e)) failed = d->peer;
  if (!failed.empty() && pending_.erase(failed)) {
    initiator_failed_ = true;
    if (pending_.empty() && runner_) runner_->stop();
  }
}

} // namespace ikekit::io
