#include "wire/payload_ts.hpp"

#include <string>

namespace ikekit::wire {
namespace {

Result<TrafficSelector> parse_selector(Reader& r) {
  TrafficSelector ts;
  auto type = r.u8("type");
  if (!type) return type.error();
  auto proto = r.u8("ip_protocol");
  if (!proto) return proto.error();
  auto length = r.u16("length");
  if (!length) return length.error();
  ts.type = TsType(*type);
  ts.ip_protocol = *proto;
  if (*length < 4)
    return make_error(Errc::bad_length, "length", "selector length " + std::to_string(*length));
  size_t want = ts.type == TsType::ts_ipv4_addr_range   ? 16
                : ts.type == TsType::ts_ipv6_addr_range ? 40
                                                        : 0;
  if (want != 0 && *length != want)
    return make_error(Errc::bad_length, "length",
                      "selector length " + std::to_string(*length) + ", " + std::to_string(want) +
                          " required for this TS type");
  if (want == 0) {
    auto data = r.bytes(*length - 4u, "data");
    if (!data) return data.error();
    ts.data = *data;
    return ts;
  }
  size_t addr = (want - 8) / 2;
  auto start_port = r.u16("start_port");
  if (!start_port) return start_port.error();
  auto end_port = r.u16("end_port");
  if (!end_port) return end_port.error();
  auto start = r.bytes(addr, "start_address");
  if (!start) return start.error();
  auto end = r.bytes(addr, "end_address");
  if (!end) return end.error();
  ts.start_port = *start_port;
  ts.end_port = *end_port;
  ts.start_address = *start;
  ts.end_address = *end;
  return ts;
}

IpAddress to_ip(ByteView b) { return b.size() == 4 ? IpAddress::v4(b) : IpAddress::v6(b); }

} // namespace

IpAddress TrafficSelector::start() const { return to_ip(start_address); }
IpAddress TrafficSelector::end() const { return to_ip(end_address); }

Result<TsPayload> parse_ts(ByteView body) {
  Reader r(body);
  auto count = r.u8("ts.number");
  if (!count) return count.error();
  auto reserved = r.bytes(3, "ts.reserved");
  if (!reserved) return reserved.error();
  TsPayload out;
  for (size_t i = 0; i < *count; ++i) {
    auto ts = parse_selector(r);
    if (!ts) return Error(ts.error()).within("ts.selector[" + std::to_string(i) + "]");
    out.selectors.push_back(*ts);
  }
  if (!r.empty())
    return make_error(Errc::bad_length, "ts",
                      std::to_string(r.remaining()) + " bytes after " + std::to_string(*count) +
                          " traffic selectors");
  return out;
}

void write_body(Writer& w, const TsPayload& p) {
  w.u8(uint8_t(p.selectors.size()));
  w.zeros(3);
  for (const auto& ts : p.selectors) {
    w.u8(uint8_t(ts.type));
    w.u8(ts.ip_protocol);
    if (ts.is_ip()) {
      w.u16(uint16_t(8 + ts.start_address.size() + ts.end_address.size()));
      w.u16(ts.start_port);
      w.u16(ts.end_port);
      w.bytes(ts.start_address);
      w.bytes(ts.end_address);
    } else {
      w.u16(uint16_t(4 + ts.data.size()));
      w.bytes(ts.data);
    }
  }
}

Result<size_t> serialize(const TsPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("ts");
}

} // namespace ikekit::wire
