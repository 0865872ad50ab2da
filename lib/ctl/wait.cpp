#include "ctl/wait.hpp"

#include "json/ike_events.hpp"
#include <algorithm>
#include <variant>

namespace ikekit::ctl {

namespace {

ike::SaId sa_of(const ike::Event& e) {
  return std::visit(
      [](const auto& v) -> ike::SaId {
        if constexpr (requires { v.sa; })
          return v.sa;
        else
          return 0;
      },
      e);
}

} // namespace

WaitStep wait_step(Wait& w, const ike::Event& e) {
  if (std::holds_alternative<ike::SaKeys>(e) || std::holds_alternative<ike::InputDropped>(e))
    return WaitStep::unrelated;
  ike::SaId sa = sa_of(e);
  auto about = [&](const Target& t) { return t.sa == sa; };
  auto it = std::find_if(w.pending.begin(), w.pending.end(), about);
  if (it == w.pending.end()) return WaitStep::unrelated;

  auto finish = [&](auto pred) {
    auto n = std::remove_if(w.pending.begin(), w.pending.end(), pred);
    if (n == w.pending.end()) return WaitStep::progress;
    w.pending.erase(n, w.pending.end());
    return w.pending.empty() ? WaitStep::done_ok : WaitStep::progress;
  };

  if (std::holds_alternative<ike::Failure>(e)) return WaitStep::failed;
  switch (w.kind) {
  case WaitKind::initiate:
    if (std::holds_alternative<ike::IkeSaDown>(e)) return WaitStep::failed;
    if (std::holds_alternative<ike::ChildSaUp>(e)) return finish(about);
    return WaitStep::progress;
  case WaitKind::terminate:
    if (std::holds_alternative<ike::IkeSaDown>(e)) return finish(about);
    if (const auto* d = std::get_if<ike::ChildSaDown>(&e))
      return finish([&](const Target& t) { return t.sa == sa && t.spi_in == d->spi_in; });
    return WaitStep::progress;
  case WaitKind::rekey:
    if (std::holds_alternative<ike::IkeSaDown>(e)) return WaitStep::failed;
    if (std::holds_alternative<ike::IkeSaRekeyed>(e))
      return finish([&](const Target& t) { return t.sa == sa && !t.spi_in; });
    if (const auto* r = std::get_if<ike::ChildSaRekeyed>(&e))
      return finish([&](const Target& t) { return t.sa == sa && t.spi_in == r->old_spi_in; });
    return WaitStep::progress;
  }
  return WaitStep::progress;
}

Error wait_failure(const ike::Event& e) {
  if (const auto* f = std::get_if<ike::Failure>(&e)) {
    std::string field = json::exchange_name(f->exchange);
    field += (field.empty() ? "" : ".") + std::string(json::failure_step_name(f->step));
    return make_error(f->step == ike::FailureStep::retransmit ? Errc::timeout : Errc::protocol,
                      field, f->reason);
  }
  if (const auto* d = std::get_if<ike::IkeSaDown>(&e))
    return make_error(Errc::protocol, "ike_sa",
                      "the IKE SA went down: " + std::string(json::down_reason_name(d->reason)));
  return make_error(Errc::protocol, "", "the request failed");
}

} // namespace ikekit::ctl
