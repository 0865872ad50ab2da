// Fuzz target for the IKEv2 wire codec: arbitrary bytes -> parse_message (strict and
// lenient), every payload through its own parser (parse_any), the rule checker, the
// inner chain of an SK payload read as if it were plaintext, the UDP/4500 classifier,
// and every parsed view written back out. Must never crash; allocations are bounded by
// the input size (each vector element consumes at least 4 input bytes).
#include "wire/any_payload.hpp"
#include "wire/message.hpp"
#include "wire/rules.hpp"
#include "wire/udp_encap.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

using namespace ikekit;
using namespace ikekit::wire;

namespace {

std::array<uint8_t, 1 << 16> g_out;

void touch_names(const AnyPayload& any) {
  std::visit(
      [](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, SaPayload>) {
          for (const auto& prop : p.proposals) {
            (void)protocol_id_name(prop.protocol);
            for (const auto& t : prop.transforms) {
              (void)t.id_name();
              (void)t.key_length();
            }
          }
        } else if constexpr (std::is_same_v<P, IdPayload>) {
          (void)id_to_text(p);
        } else if constexpr (std::is_same_v<P, NotifyPayload>) {
          (void)notify_type_name(p.type);
        } else if constexpr (std::is_same_v<P, TsPayload>) {
          for (const auto& ts : p.selectors)
            if (ts.is_ip()) {
              (void)ts.start().to_string();
              (void)ts.end().to_string();
            }
        } else if constexpr (std::is_same_v<P, DeletePayload>) {
          for (size_t i = 0; i < p.count && p.spi_size == 4; ++i)
            (void)p.spi_u32(i);
        }
        if constexpr (!std::is_same_v<P, OpaquePayload>) {
          (void)serialize(p, g_out); // writers must stay inside the buffer
        }
      },
      any);
}

void walk(std::span<const RawPayload> payloads) {
  for (const auto& raw : payloads) {
    (void)payload_type_name(raw.payload_type());
    auto any = parse_any(raw);
    if (any) touch_names(*any);
  }
}

void fuzz_message(ByteView data) {
  auto msg = parse_message(data);
  if (msg) {
    walk(msg->payloads);
    auto outer = payload_types(msg->payloads);
    std::vector<PayloadType> inner;
    if (const RawPayload* sk = msg->encrypted()) {
      (void)encrypted_associated_data(msg->bytes, *sk);
      // Pretend the body were plaintext: exercises the inner chain walker.
      auto chain = parse_payload_chain(sk->body, sk->next_type, sk->offset + 4);
      if (chain) {
        walk(*chain);
        inner = payload_types(*chain);
      }
    }
    (void)check_payload_rules(msg->header.exchange_type, msg->header.response(), outer, inner);
    // Re-encode the clear chain.
    MessageWriter w(g_out, msg->header);
    for (const auto& raw : msg->payloads) {
      if (raw.is_encrypted())
        w.begin_encrypted(raw.payload_type(), PayloadType(raw.next_type)),
            w.writer().bytes(raw.body), w.end();
      else
        w.add_raw(raw.payload_type(), raw.body, raw.critical);
    }
    (void)w.finish();
  }
  auto lenient = parse_message(data, ChainOptions{false});
  if (lenient) (void)first_unsupported_critical(lenient->payloads);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  fuzz_message(in);
  auto udp = classify_udp_encap(in);
  if (udp && udp->kind == UdpKind::ike) fuzz_message(udp->data);
  // Any header-less chain starting with each payload type the first byte names.
  if (size > 1) {
    auto chain = parse_payload_chain(in.subspan(1), data[0]);
    if (chain) walk(*chain);
  }
  return 0;
}
