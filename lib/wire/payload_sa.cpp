// RFC 7296 3.3 Security Association payload: proposals, transforms, attributes.
#include "wire/payload_sa.hpp"

#include <string>

namespace ikekit::wire {
namespace {

std::string idx(std::string_view name, size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

// 3.3.5 attributes, filling the rest of a transform.
Result<std::vector<TransformAttribute>> parse_attributes(ByteView data) {
  std::vector<TransformAttribute> out;
  Reader r(data);
  for (size_t i = 0; !r.empty(); ++i) {
    TransformAttribute a;
    auto type = r.u16("type");
    if (!type) return Error(type.error()).within(idx("attribute", i));
    auto value = r.u16("length");
    if (!value) return Error(value.error()).within(idx("attribute", i));
    a.tv = (*type & kAttributeFormatTv) != 0;
    a.type = uint16_t(*type & 0x7fff);
    if (a.tv) {
      a.value = *value;
    } else {
      auto bytes = r.bytes(*value, "value");
      if (!bytes) return Error(bytes.error()).within(idx("attribute", i));
      a.data = *bytes;
    }
    out.push_back(a);
  }
  return out;
}

Result<Transform> parse_transform(Reader& r, bool& last) {
  auto more = r.u8("last_substruc");
  if (!more) return more.error();
  auto reserved = r.u8("reserved");
  if (!reserved) return reserved.error();
  auto length = r.u16("length");
  if (!length) return length.error();
  if (*length < 8)
    return make_error(Errc::bad_length, "length",
                      "transform length " + std::to_string(*length) + " is less than 8");
  if (*more != 0 && *more != kLastSubstrucTransformMore)
    return make_error(Errc::bad_value, "last_substruc",
                      "is " + std::to_string(*more) + ", allowed 0 (last) or 3 (more)");
  last = *more == 0;
  auto rest = r.bytes(*length - 4u, "length");
  if (!rest) return rest.error();
  Reader t(*rest);
  Transform out;
  out.type = TransformType(*t.u8("type"));
  (void)*t.u8("reserved");
  out.id = *t.u16("id");
  auto attrs = parse_attributes(t.rest());
  if (!attrs) return attrs.error();
  out.attributes = std::move(*attrs);
  return out;
}

Result<Proposal> parse_proposal(Reader& r, bool& last) {
  auto more = r.u8("last_substruc");
  if (!more) return more.error();
  auto reserved = r.u8("reserved");
  if (!reserved) return reserved.error();
  auto length = r.u16("length");
  if (!length) return length.error();
  if (*length < 8)
    return make_error(Errc::bad_length, "length",
                      "proposal length " + std::to_string(*length) + " is less than 8");
  if (*more != 0 && *more != kLastSubstrucProposalMore)
    return make_error(Errc::bad_value, "last_substruc",
                      "is " + std::to_string(*more) + ", allowed 0 (last) or 2 (more)");
  last = *more == 0;
  auto rest = r.bytes(*length - 4u, "length");
  if (!rest) return rest.error();
  Reader p(*rest);
  Proposal out;
  out.number = *p.u8("number");
  out.protocol = ProtocolId(*p.u8("protocol_id"));
  uint8_t spi_size = *p.u8("spi_size");
  uint8_t count = *p.u8("num_transforms");
  auto spi = p.bytes(spi_size, "spi");
  if (!spi) return spi.error();
  out.spi = *spi;
  bool last_transform = false;
  for (size_t j = 0; j < count; ++j) {
    if (last_transform)
      return make_error(Errc::bad_value, idx("transform", j - 1) + ".last_substruc",
                        "says last, but Num Transforms is " + std::to_string(count));
    auto t = parse_transform(p, last_transform);
    if (!t) return Error(t.error()).within(idx("transform", j));
    out.transforms.push_back(std::move(*t));
  }
  if (count > 0 && !last_transform)
    return make_error(Errc::bad_value, idx("transform", count - 1u) + ".last_substruc",
                      "says more, but Num Transforms is " + std::to_string(count));
  if (!p.empty())
    return make_error(Errc::bad_length, "length",
                      std::to_string(p.remaining()) + " bytes after the last transform");
  return out;
}

} // namespace

std::optional<uint16_t> Transform::key_length() const {
  for (const auto& a : attributes)
    if (a.tv && a.type == uint16_t(TransformAttr::key_length)) return a.value;
  return std::nullopt;
}

Result<SaPayload> parse_sa(ByteView body) {
  SaPayload sa;
  Reader r(body);
  if (r.empty()) return make_error(Errc::truncated, "sa.proposal[0]", "SA payload has no proposal");
  bool last = false;
  for (size_t i = 0; !last; ++i) {
    if (r.empty())
      return make_error(Errc::truncated, "sa." + idx("proposal", i),
                        "previous proposal says more follow");
    auto p = parse_proposal(r, last);
    if (!p) return Error(p.error()).within("sa." + idx("proposal", i));
    sa.proposals.push_back(std::move(*p));
  }
  if (!r.empty())
    return make_error(Errc::bad_length, "sa." + idx("proposal", sa.proposals.size()),
                      std::to_string(r.remaining()) + " bytes after the last proposal");
  return sa;
}

void write_body(Writer& w, const SaPayload& sa) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    size_t start = w.size();
    w.u8(i + 1 == sa.proposals.size() ? 0 : kLastSubstrucProposalMore);
    w.u8(0);
    size_t length_at = w.skip(2);
    w.u8(p.number);
    w.u8(uint8_t(p.protocol));
    w.u8(uint8_t(p.spi.size()));
    w.u8(uint8_t(p.transforms.size()));
    w.bytes(p.spi);
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      size_t tstart = w.size();
      w.u8(j + 1 == p.transforms.size() ? 0 : kLastSubstrucTransformMore);
      w.u8(0);
      size_t tlength_at = w.skip(2);
      w.u8(uint8_t(t.type));
      w.u8(0);
      w.u16(t.id);
      for (const auto& a : t.attributes) {
        if (a.tv) {
          w.u16(uint16_t(kAttributeFormatTv | (a.type & 0x7fff)));
          w.u16(a.value);
        } else {
          w.u16(uint16_t(a.type & 0x7fff));
          w.u16(uint16_t(a.data.size()));
          w.bytes(a.data);
        }
      }
      w.patch_u16(tlength_at, uint16_t(w.size() - tstart));
    }
    w.patch_u16(length_at, uint16_t(w.size() - start));
  }
}

Result<size_t> serialize(const SaPayload& sa, MutBytes out) {
  Writer w(out);
  write_body(w, sa);
  return w.finish("sa");
}

} // namespace ikekit::wire
