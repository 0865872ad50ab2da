#include "decode/json_output.hpp"

#include "base/hex.hpp"

#include "json/payload_json.hpp"

namespace ikekit::decode {

namespace {

using decode::PacketMeta;

Json meta_json(const char* type, const PacketMeta& m) {
  return {{"type", type},
          {"frame", m.frame},
          {"time", json::rfc3339_utc(m.ts_sec, m.ts_usec)},
          {"src", endpoint_text(m.src)},
          {"dst", endpoint_text(m.dst)}};
}

Json problem_json(const std::optional<Error>& e) { return e ? json::error_to_json(*e) : Json(); }

Json payloads_json(const std::vector<wire::RawPayload>& payloads) {
  Json out = Json::array();
  for (const auto& p : payloads)
    out.push_back(json::payload_to_json(p));
  return out;
}

// The SK/SKF payload's JSON gains what decryption found, and the inner payloads.
void add_encrypted(Json& payload, const decode::EncryptedInfo& info) {
  payload["decrypted"] = info.decrypted;
  payload["integrity"] = std::string(decode::integrity_name(info.integrity));
  payload["problem"] = problem_json(info.problem);
  if (info.total_fragments) payload["completes_message"] = info.completes_message;
  if (info.inner) {
    payload["payloads"] = payloads_json(*info.inner);
  } else if (info.inner_error) {
    payload["payloads"] = nullptr;
    payload["problem"] = json::error_to_json(*info.inner_error);
  } else {
    payload["payloads"] = nullptr;
  }
}

// Where a record's SA moved last (null: it has not moved in the capture so far).
Json sa_move_json(const std::optional<decode::SaMove>& m) {
  if (!m) return nullptr;
  return {{"frame", m->frame},
          {"time", json::rfc3339_utc(m->ts_sec, m->ts_usec)},
          {"reason", std::string(decode::move_reason_name(m->reason))},
          {"old_initiator", decode::endpoint_text(m->old_initiator)},
          {"old_responder", decode::endpoint_text(m->old_responder)},
          {"initiator", decode::endpoint_text(m->initiator)},
          {"responder", decode::endpoint_text(m->responder)}};
}

} // namespace

Json ip_protocol_name(uint8_t protocol) {
  switch (protocol) {
  case 1:
    return "ICMP";
  case 4:
    return "IPv4";
  case 6:
    return "TCP";
  case 17:
    return "UDP";
  case 41:
    return "IPv6";
  case 47:
    return "GRE";
  case 50:
    return "ESP";
  case 58:
    return "ICMPv6";
  case 132:
    return "SCTP";
  default:
    return nullptr;
  }
}

Json ike_record_to_json(const decode::IkeRecord& r) {
  const wire::Message& m = *r.message;
  const wire::IkeHeader& h = m.header;
  Json j = meta_json("ike", r.meta);
  j["transport"] = std::string(decode::transport_name(r.transport));
  j["non_esp_marker"] = r.non_esp_marker;
  j["spi_i"] = to_hex_u64(h.spi_i);
  j["spi_r"] = to_hex_u64(h.spi_r);
  j["exchange_type"] = uint8_t(h.exchange_type);
  j["exchange"] = json::name_or_null(wire::exchange_type_name(h.exchange_type));
  j["initiator"] = h.initiator();
  j["response"] = h.response();
  j["message_id"] = h.message_id;
  j["version"] = std::to_string(h.major_version) + "." + std::to_string(h.minor_version);
  j["length"] = h.length;
  Json payloads = payloads_json(m.payloads);
  if (r.encrypted && !payloads.empty()) add_encrypted(payloads.back(), *r.encrypted);
  j["payloads"] = std::move(payloads);
  j["payload_rules"] = std::string(decode::rules_check_name(r.payload_rules));
  j["payload_rules_error"] = problem_json(r.payload_rules_error);
  j["sa_moved"] = sa_move_json(r.sa_moved);
  return j;
}

Json esp_record_to_json(const decode::EspRecord& r) {
  Json j = meta_json("esp", r.meta);
  j["spi"] = to_hex_u32(r.spi);
  j["seq"] = r.seq;
  j["transport"] = std::string(decode::transport_name(r.transport));
  j["udp_encap"] = r.udp_encap;
  j["length"] = r.length;
  j["decrypted"] = r.decrypted;
  j["integrity"] = std::string(decode::integrity_name(r.integrity));
  j["problem"] = problem_json(r.problem);
  j["next_header"] = r.decrypted ? Json(r.next_header) : Json();
  if (r.inner) {
    Json in = {{"ip_version", r.inner->ip_version ? Json(r.inner->ip_version) : Json()},
               {"src", r.inner->src ? Json(r.inner->src->to_string()) : Json()},
               {"dst", r.inner->dst ? Json(r.inner->dst->to_string()) : Json()},
               {"protocol", r.inner->protocol},
               {"protocol_name", ip_protocol_name(r.inner->protocol)},
               {"length", r.inner->length}};
    j["inner"] = std::move(in);
  } else {
    j["inner"] = nullptr;
  }
  j["sa_moved"] = sa_move_json(r.sa_moved);
  return j;
}

Json malformed_record_to_json(const decode::MalformedRecord& r) {
  Json j = meta_json("malformed", r.meta);
  if (r.meta.src.port == 0 && r.kind == "frame") {
    j["src"] = nullptr;
    j["dst"] = nullptr;
  }
  j["kind"] = r.kind;
  j["error"] = json::error_to_json(r.error);
  return j;
}

Json summary_to_json(const decode::Summary& s) {
  return {{"type", "summary"},
          {"packets", s.packets},
          {"ike_messages", s.ike_messages},
          {"esp_packets", s.esp_packets},
          {"decrypted", s.decrypted},
          {"undecryptable", s.undecryptable},
          {"no_key", s.no_key},
          {"malformed", s.malformed},
          {"payload_rule_violations", s.payload_rule_violations},
          {"nat_keepalives", s.nat_keepalives},
          {"tcp_segments", s.tcp_segments},
          {"tcp_retransmitted", s.tcp_retransmitted},
          {"other", s.other},
          {"fragments_dropped", s.fragments_dropped},
          {"unmatched_keys", s.unmatched_keys},
          {"sa_moves", s.sa_moves}};
}

Json unmatched_keys_to_json(const decode::UnmatchedKeys& u) {
  auto opt32 = [](const std::optional<uint32_t>& v) { return v ? Json(to_hex_u32(*v)) : Json(); };
  return {{"type", "unmatched_keys"},
          {"file", u.file},
          {"line", u.line},
          {"kind", u.kind},
          {"spi_i", u.spis ? Json(to_hex_u64(u.spis->first)) : Json()},
          {"spi_r", u.spis ? Json(to_hex_u64(u.spis->second)) : Json()},
          {"spi_in", opt32(u.spi_in)},
          {"spi_out", opt32(u.spi_out)},
          {"reason", u.reason}};
}

} // namespace ikekit::decode
