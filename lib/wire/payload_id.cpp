#include "wire/payload_id.hpp"

#include "base/hex.hpp"
#include "base/ip_address.hpp"

namespace ikekit::wire {

Result<IdPayload> parse_id(ByteView body) {
  Reader r(body);
  auto type = r.u8("id.type");
  if (!type) return type.error();
  auto reserved = r.bytes(3, "id.reserved");
  if (!reserved) return reserved.error();
  IdPayload id{IdType(*type), r.rest()};
  if (id.type == IdType::id_ipv4_addr && id.data.size() != 4)
    return make_error(Errc::bad_length, "id.data",
                      "ID_IPV4_ADDR has " + std::to_string(id.data.size()) + " bytes, expected 4");
  if (id.type == IdType::id_ipv6_addr && id.data.size() != 16)
    return make_error(Errc::bad_length, "id.data",
                      "ID_IPV6_ADDR has " + std::to_string(id.data.size()) + " bytes, expected 16");
  return id;
}

void write_body(Writer& w, const IdPayload& p) {
  w.u8(uint8_t(p.type));
  w.zeros(3);
  w.bytes(p.data);
}

Result<size_t> serialize(const IdPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("id");
}

std::string id_to_text(const IdPayload& id) {
  switch (id.type) {
  case IdType::id_ipv4_addr:
    if (id.data.size() == 4) return IpAddress::v4(id.data).to_string();
    break;
  case IdType::id_ipv6_addr:
    if (id.data.size() == 16) return IpAddress::v6(id.data).to_string();
    break;
  case IdType::id_fqdn:
  case IdType::id_rfc822_addr: {
    bool printable = true;
    for (uint8_t c : id.data)
      printable = printable && c >= 0x20 && c < 0x7f;
    if (printable) return std::string(id.data.begin(), id.data.end());
    break;
  }
  case IdType::id_null:
    return {};
  default:
    break;
  }
  return to_hex(id.data);
}

} // namespace ikekit::wire
