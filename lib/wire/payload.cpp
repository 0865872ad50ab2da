// RFC 7296 3.2 generic payload header, chain walking and chain writing.
#include "wire/payload.hpp"

#include <string>

namespace ikekit::wire {
namespace {

std::string at(size_t index, std::string_view field) {
  std::string s = "payload[" + std::to_string(index) + "]";
  if (!field.empty()) {
    s += '.';
    s += field;
  }
  return s;
}

} // namespace

Result<bool> PayloadCursor::next(RawPayload& out) {
  if (done_) return false;
  size_t left = data_.size() - pos_;
  if (next_type_ == uint8_t(PayloadType::none)) {
    done_ = true;
    if (left != 0)
      return make_error(Errc::bad_length, at(index_, ""),
                        std::to_string(left) + " bytes follow the last payload (Next Payload 0)");
    return false;
  }
  const uint8_t* p = data_.data() + pos_;
  if (left < 4) {
    std::string_view field = left == 0 ? "next_payload" : left == 1 ? "flags" : "length";
    return make_error(Errc::truncated, at(index_, field),
                      "generic payload header needs 4 bytes, " + std::to_string(left) + " left");
  }
  uint16_t length = load_be16(p + 2);
  if (length < kGenericHeaderSize)
    return make_error(Errc::bad_length, at(index_, "length"),
                      "payload length " + std::to_string(length) + " is less than 4");
  if (length > left)
    return make_error(Errc::truncated, at(index_, "length"),
                      "payload length " + std::to_string(length) + " but " + std::to_string(left) +
                          " bytes left");
  RawPayload r;
  r.type = next_type_;
  r.next_type = p[0];
  r.critical = (p[1] & kCriticalBit) != 0;
  r.whole = data_.subspan(pos_, length);
  r.body = r.whole.subspan(kGenericHeaderSize);
  r.offset = base_ + pos_;
  if (options_.reject_unknown_critical && r.critical && !r.is_known())
    return make_error(Errc::unsupported, at(index_, "critical"),
                      "payload type " + std::to_string(r.type) +
                          " is not recognised and has the critical bit set");
  pos_ += length;
  ++index_;
  if (r.is_encrypted()) {
    // RFC 7296 3.14: the Encrypted payload, if any, must be the last payload.
    done_ = true;
    if (pos_ != data_.size())
      return make_error(Errc::bad_length, at(index_, ""),
                        std::to_string(data_.size() - pos_) +
                            " bytes follow the SK/SKF payload, which must be last");
  } else {
    next_type_ = r.next_type;
  }
  out = r;
  return true;
}

Result<std::vector<RawPayload>> parse_payload_chain(ByteView chain, uint8_t first_type,
                                                    size_t base_offset, ChainOptions options) {
  std::vector<RawPayload> out;
  PayloadCursor cursor(chain, first_type, base_offset, options);
  RawPayload p;
  for (;;) {
    auto more = cursor.next(p);
    if (!more) return more.error();
    if (!*more) break;
    out.push_back(p);
  }
  return out;
}

std::optional<uint8_t> first_unsupported_critical(std::span<const RawPayload> payloads) {
  for (const auto& p : payloads)
    if (p.critical && !p.is_known()) return p.type;
  return std::nullopt;
}

std::vector<PayloadType> payload_types(std::span<const RawPayload> payloads) {
  std::vector<PayloadType> out;
  out.reserve(payloads.size());
  for (const auto& p : payloads)
    out.push_back(p.payload_type());
  return out;
}

size_t PayloadWriter::begin(PayloadType type, bool critical) {
  if (open_ != npos) end();
  if (sealed_ && !failed_) {
    failed_ = true;
    error_ = make_error(Errc::bad_value, at(count_, ""),
                        "no payload may follow an SK/SKF payload (RFC 7296 3.14)");
  }
  if (count_ == 0) first_type_ = type;
  if (link_ != npos && link_ < w_.size()) *w_.at(link_) = uint8_t(type);
  size_t offset = w_.size();
  w_.u8(uint8_t(PayloadType::none));
  w_.u8(critical ? kCriticalBit : 0);
  w_.u16(0);
  link_ = offset;
  open_ = offset;
  ++count_;
  return offset;
}

size_t PayloadWriter::begin_encrypted(PayloadType sk_or_skf, PayloadType first_inner) {
  size_t offset = begin(sk_or_skf, false);
  if (offset < w_.size()) *w_.at(offset) = uint8_t(first_inner);
  link_ = npos;
  sealed_ = true;
  return offset;
}

void PayloadWriter::end() {
  if (open_ == npos) return;
  size_t length = w_.size() - open_;
  if (length > 0xffff && !failed_) {
    failed_ = true;
    error_ = make_error(Errc::bad_length, at(count_ - 1, "length"),
                        "payload of " + std::to_string(length) + " bytes exceeds 65535");
  }
  w_.patch_u16(open_ + 2, uint16_t(length));
  open_ = npos;
}

size_t PayloadWriter::add_raw(PayloadType type, ByteView body, bool critical) {
  size_t at_offset = begin(type, critical);
  w_.bytes(body);
  end();
  return at_offset;
}

Result<size_t> PayloadWriter::finish() {
  end();
  if (failed_) return error_;
  return w_.finish("payloads");
}

} // namespace ikekit::wire
