#include "wire/payload_sk.hpp"

#include <string>

namespace ikekit::wire {

Result<SkPayload> parse_sk(uint8_t next_payload, ByteView body) {
  return SkPayload{PayloadType(next_payload), body};
}

Result<SkfPayload> parse_skf(uint8_t next_payload, ByteView body) {
  Reader r(body);
  auto number = r.u16("skf.fragment_number");
  if (!number) return number.error();
  auto total = r.u16("skf.total_fragments");
  if (!total) return total.error();
  if (*total == 0)
    return make_error(Errc::bad_value, "skf.total_fragments", "Total Fragments is 0");
  if (*number == 0 || *number > *total)
    return make_error(Errc::bad_value, "skf.fragment_number",
                      "fragment " + std::to_string(*number) + " of " + std::to_string(*total) +
                          ", allowed 1.." + std::to_string(*total));
  return SkfPayload{*number, *total, PayloadType(next_payload), r.rest()};
}

void write_body(Writer& w, const SkPayload& p) { w.bytes(p.body); }

void write_body(Writer& w, const SkfPayload& p) {
  w.u16(p.fragment_number);
  w.u16(p.total_fragments);
  w.bytes(p.body);
}

Result<size_t> serialize(const SkPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("sk");
}

Result<size_t> serialize(const SkfPayload& p, MutBytes out) {
  Writer w(out);
  write_body(w, p);
  return w.finish("skf");
}

size_t add(PayloadWriter& w, const SkPayload& p) {
  size_t at = w.begin_encrypted(PayloadType::sk, p.first_inner);
  write_body(w.writer(), p);
  w.end();
  return at;
}

size_t add(PayloadWriter& w, const SkfPayload& p) {
  size_t at = w.begin_encrypted(PayloadType::skf, p.first_inner);
  write_body(w.writer(), p);
  w.end();
  return at;
}

} // namespace ikekit::wire
