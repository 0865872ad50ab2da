#include "esp/child_sa.hpp"

#include <string>

namespace ikekit::esp {

std::string_view esp_mode_name(EspMode m) { return m == EspMode::tunnel ? "tunnel" : "transport"; }

namespace {

Result<void> validate_keys(const SaKeys& k, std::string_view dir) {
  auto fail = [&](const std::string& field, std::string msg) {
    return make_error(Errc::bad_value, std::string(dir) + "." + field, std::move(msg));
  };
  // RFC 4303 2.1: SPI values 1..255 are reserved by IANA, 0 is for local use only.
  if (k.spi < 256)
    return fail("spi", "SPI " + std::to_string(k.spi) + " is reserved (RFC 4303 2.1)");
  if (!k.encr || k.encr->kind != crypto::TransformKind::encr)
    return fail("encr", "an ENCR transform is required");
  size_t want = size_t(k.encr->key_len) + k.encr->salt_len;
  if (k.encr_key.size() != want)
    return fail("encr_key", std::string(k.encr->keyword) + " takes " + std::to_string(want) +
                                " key bytes, got " + std::to_string(k.encr_key.size()));
  if (k.encr->aead) {
    if (k.integ)
      return fail("integ", std::string(k.encr->keyword) + " is AEAD: no integrity transform");
    return {};
  }
  if (!k.integ || k.integ->kind != crypto::TransformKind::integ)
    return fail("integ", std::string(k.encr->keyword) + " needs an integrity transform");
  if (k.integ_key.size() != k.integ->key_len)
    return fail("integ_key", std::string(k.integ->keyword) + " takes " +
                                 std::to_string(k.integ->key_len) + " key bytes, got " +
                                 std::to_string(k.integ_key.size()));
  return {};
}

} // namespace

Result<void> validate_child_sa(const ChildSaSpec& spec) {
  if (auto r = validate_keys(spec.in, "in"); !r) return r;
  if (auto r = validate_keys(spec.out, "out"); !r) return r;
  if (spec.local.family() != spec.remote.family())
    return make_error(Errc::bad_value, "remote", "local and remote addresses differ in family");
  if (spec.replay_window > ReplayWindow::kMaxSize)
    return make_error(Errc::bad_value, "replay_window",
                      std::to_string(spec.replay_window) + ": at most " +
                          std::to_string(ReplayWindow::kMaxSize) + " packets");
  if (spec.udp_encap && (spec.local_port == 0 || spec.remote_port == 0))
    return make_error(Errc::bad_value, "port", "UDP encapsulation needs non-zero ports");
  return {};
}

SaParams sa_params(const SaKeys& keys, uint32_t replay_window) {
  SaParams p;
  p.spi = keys.spi;
  p.encr = keys.encr;
  p.encr_key = keys.encr_key.reveal();
  p.integ = keys.integ;
  p.integ_key = keys.integ_key.reveal();
  p.esn = keys.esn;
  // 0 disables anti-replay in RFC 4303 3.4.3 terms; the ESP layer always keeps a
  // window, so the smallest one stands in.
  p.replay_window = replay_window == 0 ? 64 : replay_window;
  return p;
}

} // namespace ikekit::esp
