#include "wire/message.hpp"

#include "wire/payload_sk.hpp"

namespace ikekit::wire {

const RawPayload* Message::encrypted() const {
  if (!payloads.empty() && payloads.back().is_encrypted()) return &payloads.back();
  return nullptr;
}

const RawPayload* Message::find(PayloadType type) const {
  for (const auto& p : payloads)
    if (p.type == uint8_t(type)) return &p;
  return nullptr;
}

size_t Message::count(PayloadType type) const {
  size_t n = 0;
  for (const auto& p : payloads)
    n += p.type == uint8_t(type);
  return n;
}

Result<Message> parse_message(ByteView datagram, ChainOptions options) {
  auto header = parse_header(datagram);
  if (!header) return header.error();
  Message msg;
  msg.header = *header;
  msg.bytes = datagram.first(header->length);
  auto chain = parse_payload_chain(msg.bytes.subspan(kIkeHeaderSize), header->next_payload,
                                   kIkeHeaderSize, options);
  if (!chain) return chain.error();
  msg.payloads = std::move(*chain);
  return msg;
}

ByteView encrypted_associated_data(ByteView message, const RawPayload& sk_or_skf) {
  size_t end = sk_or_skf.offset + kGenericHeaderSize;
  if (sk_or_skf.type == uint8_t(PayloadType::skf)) end += kSkfHeaderSize;
  if (end > message.size()) end = message.size();
  return message.first(end);
}

MessageWriter::MessageWriter(MutBytes out, const IkeHeader& header)
    : PayloadWriter(out, kIkeHeaderNextPayloadOffset) {
  IkeHeader h = header;
  h.next_payload = 0;
  h.length = 0;
  write_header(w_, h);
}

Result<size_t> MessageWriter::finish() {
  auto n = PayloadWriter::finish();
  if (!n) return n;
  w_.patch_u32(kIkeHeaderLengthOffset, uint32_t(*n));
  return n;
}

} // namespace ikekit::wire
