#include "json/payload_json.hpp"

#include "base/hex.hpp"
#include "wire/any_payload.hpp"

namespace ikekit::json {

namespace {

using namespace ikekit::wire;

Json sa_json(const SaPayload& sa) {
  Json proposals = Json::array();
  for (const auto& p : sa.proposals) {
    Json transforms = Json::array();
    for (const auto& t : p.transforms) {
      Json jt = {{"type", uint8_t(t.type)},
                 {"type_name", name_or_null(transform_type_name(t.type))},
                 {"id", t.id},
                 {"name", name_or_null(t.id_name())}};
      auto kl = t.key_length();
      jt["key_length"] = kl ? Json(*kl) : Json();
      transforms.push_back(std::move(jt));
    }
    proposals.push_back({{"number", p.number},
                         {"protocol_id", uint8_t(p.protocol)},
                         {"protocol", name_or_null(protocol_id_name(p.protocol))},
                         {"spi", p.spi.empty() ? Json() : Json(to_hex(p.spi))},
                         {"transforms", std::move(transforms)}});
  }
  return {{"proposals", std::move(proposals)}};
}

Json ts_json(const TsPayload& ts) {
  Json selectors = Json::array();
  for (const auto& s : ts.selectors) {
    Json js = {{"ts_type", uint8_t(s.type)},
               {"ts_type_name", name_or_null(ts_type_name(s.type))},
               {"ip_protocol", s.ip_protocol},
               {"start_port", s.start_port},
               {"end_port", s.end_port}};
    if (s.is_ip()) {
      js["start_address"] = s.start().to_string();
      js["end_address"] = s.end().to_string();
    } else {
      js["data"] = to_hex(s.data);
    }
    selectors.push_back(std::move(js));
  }
  return {{"selectors", std::move(selectors)}};
}

bool is_address_attribute(CfgAttr a, size_t len) {
  switch (a) {
  case CfgAttr::internal_ip4_address:
  case CfgAttr::internal_ip4_netmask:
  case CfgAttr::internal_ip4_dns:
  case CfgAttr::internal_ip4_nbns:
  case CfgAttr::internal_ip4_dhcp:
    return len == 4;
  case CfgAttr::internal_ip6_address:
  case CfgAttr::internal_ip6_dns:
  case CfgAttr::internal_ip6_dhcp:
    return len == 16 || len == 17; // IPv6 address attributes may carry a prefix length
  default:
    return false;
  }
}

Json cp_json(const CpPayload& cp) {
  Json attrs = Json::array();
  for (const auto& a : cp.attributes) {
    Json ja = {{"type", uint16_t(a.type)}, {"name", name_or_null(cfg_attr_name(a.type))}};
    std::optional<Prefix> subnet; // RFC 7296 3.15.1: address and netmask / prefix length
    if (is_subnet_attribute(a.type))
      if (auto parsed = parse_cfg_subnet(a); parsed && *parsed) subnet = **parsed;
    if (a.value.empty()) {
      ja["value"] = nullptr;
    } else if (subnet) {
      ja["value"] = subnet->to_string();
    } else if (is_address_attribute(a.type, a.value.size())) {
      IpAddress ip = a.value.size() == 4 ? IpAddress::v4(a.value) : IpAddress::v6(a.value);
      ja["value"] = a.value.size() == 17 ? ip.to_string() + "/" + std::to_string(a.value[16])
                                         : ip.to_string();
    } else {
      ja["value"] = to_hex(a.value);
    }
    attrs.push_back(std::move(ja));
  }
  return {{"cfg_type", uint8_t(cp.type)},
          {"cfg_type_name", name_or_null(cfg_type_name(cp.type))},
          {"attributes", std::move(attrs)}};
}

struct Fields {
  Json operator()(const OpaquePayload& p) const { return {{"data", to_hex(p.body)}}; }
  Json operator()(const SaPayload& p) const { return sa_json(p); }
  Json operator()(const KePayload& p) const {
    return {{"group", uint16_t(p.group)},
            {"group_name", name_or_null(ke_group_name(p.group))},
            {"data_length", p.data.size()}};
  }
  Json operator()(const IdPayload& p) const {
    return {{"id_type", uint8_t(p.type)},
            {"id_type_name", name_or_null(id_type_name(p.type))},
            {"value", id_to_text(p)}};
  }
  Json operator()(const CertPayload& p) const {
    return {{"encoding", uint8_t(p.encoding)},
            {"encoding_name", name_or_null(cert_encoding_name(p.encoding))},
            {"data_length", p.data.size()}};
  }
  Json operator()(const CertReqPayload& p) const {
    Json hashes = Json::array();
    for (size_t i = 0; i < p.hash_count(); ++i)
      hashes.push_back(to_hex(p.hash(i)));
    return {{"encoding", uint8_t(p.encoding)},
            {"encoding_name", name_or_null(cert_encoding_name(p.encoding))},
            {"authorities", std::move(hashes)}};
  }
  Json operator()(const AuthPayload& p) const {
    return {{"method", uint8_t(p.method)},
            {"method_name", name_or_null(auth_method_name(p.method))},
            {"data_length", p.data.size()}};
  }
  Json operator()(const NoncePayload& p) const {
    return {{"nonce", to_hex(p.data)}, {"data_length", p.data.size()}};
  }
  Json operator()(const NotifyPayload& p) const {
    return {{"notify_type", uint16_t(p.type)},
            {"notify_name", name_or_null(notify_type_name(p.type))},
            {"error", p.is_error()},
            {"protocol_id", uint8_t(p.protocol)},
            {"spi", p.spi.empty() ? Json() : Json(to_hex(p.spi))},
            {"data", to_hex(p.data)}};
  }
  Json operator()(const DeletePayload& p) const {
    Json spis = Json::array();
    for (size_t i = 0; i < p.count && (i + 1) * p.spi_size <= p.spis.size(); ++i)
      spis.push_back(to_hex(p.spi(i)));
    return {{"protocol_id", uint8_t(p.protocol)},
            {"protocol", name_or_null(protocol_id_name(p.protocol))},
            {"spis", std::move(spis)}};
  }
  Json operator()(const VendorIdPayload& p) const { return {{"vendor_id", to_hex(p.id)}}; }
  Json operator()(const TsPayload& p) const { return ts_json(p); }
  Json operator()(const SkPayload& p) const {
    return {{"first_inner_payload", uint8_t(p.first_inner)}, {"encrypted_length", p.body.size()}};
  }
  Json operator()(const SkfPayload& p) const {
    return {{"fragment_number", p.fragment_number},
            {"total_fragments", p.total_fragments},
            {"first_inner_payload", uint8_t(p.first_inner)},
            {"encrypted_length", p.body.size()}};
  }
  Json operator()(const CpPayload& p) const { return cp_json(p); }
  Json operator()(const EapPayload& p) const {
    Json j = {{"code", uint8_t(p.code)},
              {"code_name", name_or_null(eap_code_name(p.code))},
              {"identifier", p.identifier}};
    j["eap_type"] = p.type ? Json(uint8_t(*p.type)) : Json();
    j["eap_type_name"] = p.type ? name_or_null(eap_type_name(*p.type)) : Json();
    j["data_length"] = p.data.size();
    return j;
  }
};

} // namespace

Json name_or_null(std::string_view name) { return name.empty() ? Json() : Json(std::string(name)); }

Json error_to_json(const Error& e) {
  return {{"code", std::string(errc_name(e.code))},
          {"field", e.field.empty() ? Json() : Json(e.field)},
          {"message", e.message}};
}

Json payload_to_json(const RawPayload& raw) {
  Json j = {{"payload_type", raw.type},
            {"name", name_or_null(payload_type_name(raw.payload_type()))},
            {"critical", raw.critical},
            {"length", raw.whole.size()}};
  auto parsed = parse_any(raw);
  if (!parsed) {
    j["error"] = error_to_json(parsed.error());
    return j;
  }
  Json fields = std::visit(Fields{}, *parsed);
  for (auto& [k, v] : fields.items())
    j[k] = std::move(v);
  return j;
}

} // namespace ikekit::json
