#include "report_json.hpp"

#include "base/hex.hpp"

#include <chrono>

using ikekit::json::Json;
using namespace ikekit;

namespace esp_tunnel {

namespace {

Json prefixes(const std::vector<io::Prefix>& v) {
  Json a = Json::array();
  for (const auto& p : v)
    a.push_back(p.to_string());
  return a;
}

std::string now_rfc3339() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return json::rfc3339_utc(us / 1000000, us % 1000000);
}

} // namespace

Json started_json(const Options& o, std::string_view device, std::string_view version,
                  const SeqState* seq) {
  const auto& sa = o.sa;
  Json j;
  j["type"] = "started";
  j["schema"] = kSchema;
  j["version"] = version;
  j["time"] = now_rfc3339();
  j["backend"] = backend_name(o.backend);
  j["device"] = device.empty() ? Json() : Json(device);
  j["local"] = sa.local.to_string();
  j["remote"] = sa.remote.to_string();
  j["spi_in"] = to_hex_u32(sa.in.spi);
  j["spi_out"] = to_hex_u32(sa.out.spi);
  j["encr"] = sa.out.encr->keyword;
  j["integ"] = sa.out.integ ? Json(sa.out.integ->keyword) : Json();
  j["mode"] = io::dataplane::esp_mode_name(sa.mode);
  j["encapsulation"] = sa.udp_encap ? "udp" : "esp"; // RFC 3948 or IP protocol 50
  j["port"] = sa.udp_encap ? Json(sa.local_port) : Json();
  j["replay_window"] = sa.replay_window;
  j["mtu"] = o.backend == Backend::tun ? Json(o.mtu) : Json();
  j["offload"] = o.backend == Backend::tun ? Json(o.offload) : Json();
  j["tun_addr"] = prefixes(o.tun_addr);
  j["routes"] = prefixes(o.routes);
  j["keys_file"] = o.keys_file.empty() ? Json() : Json(o.keys_file);
  j["seq_state"] = seq ? Json(seq->path()) : Json();
  // The kernel (xfrm) numbers its packets itself: null there.
  j["first_seq_out"] = seq ? Json(seq->first_seq()) : o.backend == Backend::tun ? Json(1) : Json();
  return j;
}

Json stats_json(const io::dataplane::DataplaneStats& s, std::string_view reason, double uptime_s) {
  Json j;
  j["type"] = "stats";
  j["time"] = now_rfc3339();
  j["reason"] = reason;
  j["uptime_s"] = uptime_s;
  const auto& o = s.out;
  j["out"] = {{"packets", o.packets},
              {"bytes", o.bytes},
              {"wire_bytes", o.wire_bytes},
              {"drops",
               {{"no_sa", o.no_sa},
                {"not_ip", o.not_ip},
                {"sa_exhausted", o.sa_exhausted},
                {"no_room", o.no_room},
                {"crypto_error", o.crypto_error},
                {"send_dropped", o.send_dropped},
                {"seq_unreserved", o.seq_unreserved}}}};
  const auto& i = s.in;
  j["in"] = {{"packets", i.packets},
             {"bytes", i.bytes},
             {"drops",
              {{"malformed", i.malformed},
               {"unknown_spi", i.unknown_spi},
               {"replay", i.replay},
               {"too_old", i.too_old},
               {"bad_icv", i.bad_icv},
               {"bad_padding", i.bad_padding},
               {"dummy", i.dummy},
               {"crypto_error", i.crypto_error},
               {"not_esp", i.not_esp},
               {"bad_inner", i.bad_inner},
               {"deliver_dropped", i.deliver_dropped},
               {"selector_src", i.selector_src},
               {"selector_dst", i.selector_dst},
               {"selector_protocol", i.selector_protocol},
               {"selector_port", i.selector_port}}}};
  return j;
}

} // namespace esp_tunnel
