// Fuzz target for lib/radius: the RADIUS codec (RFC 2865, 3579) and MS-MPPE keys (RFC
// 2548) over arbitrary bytes, then the client machine receiving the input as a response
// to its one outstanding Access-Request. With the first byte odd, the rest is first made
// a valid response to that request (Identifier, Length, Response Authenticator and
// Message-Authenticator filled in, as a server holding the secret would) so the fuzzer
// reaches the attribute handling behind the authenticator checks. Invariants: the
// attribute walk stays inside the packet; a Response's EAP-Message fits a packet.
#include "fuzz_input.hpp"
#include "radius/client.hpp"
#include "radius/mppe.hpp"
#include "radius/packet.hpp"

#include <array>

using namespace ikekit;
using namespace ikekit::radius;

namespace {

constexpr std::string_view kSecret = "fuzz-secret";

void parse_all(ByteView in, ByteView request_auth) {
  auto p = parse_packet(in);
  if (!p) return;
  size_t total = 0;
  p->for_each([&](const Attribute& a) {
    IKEKIT_FUZZ_CHECK(a.offset + 2 + a.value.size() <= p->bytes.size());
    total += a.value.size() + 2;
  });
  IKEKIT_FUZZ_CHECK(total == p->attributes.size());
  std::array<uint8_t, kMaxPacketSize> joined;
  (void)eap_message(*p, joined);
  (void)verify_response(*p, request_auth, as_bytes(kSecret));
  for (uint8_t type : {kMsMppeSendKey, kMsMppeRecvKey})
    if (auto v = find_ms_attribute(*p, type))
      (void)decrypt_mppe_key(*v, as_bytes(kSecret), request_auth);
}

// Turns `body` into a response to `request` signed with the secret.
Bytes make_valid(ByteView request, ByteView body) {
  Bytes pkt(kHeaderSize);
  pkt.insert(pkt.end(), body.begin(), body.end());
  if (pkt.size() > kMaxPacketSize) pkt.resize(kMaxPacketSize);
  pkt[0] = body.empty() ? uint8_t(Code::access_challenge) : body[0];
  pkt[1] = request[1];
  store_be16(pkt.data() + 2, uint16_t(pkt.size()));
  auto p = parse_packet(pkt);
  if (!p) return pkt;
  size_t ma = 0;
  if (auto a = p->find(attr::message_authenticator); a && a->value.size() == 16) ma = a->offset + 2;
  ByteView request_auth(request.data() + 4, kAuthenticatorSize);
  (void)sign_response(pkt, request_auth, as_bytes(kSecret), ma);
  return pkt;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::array<uint8_t, 16> fixed_auth{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  parse_all(ByteView(data, size), fixed_auth);

  SeededRng rng(7);
  ClientConfig config;
  config.secrets.emplace_back(as_bytes(kSecret));
  Client client(std::move(config), rng);
  const uint8_t eap[] = {2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e'};
  TimePoint now{};
  auto h = client.send(AccessRequest{"alice", eap, {}, "fuzz", std::nullopt, "", 1400}, now);
  IKEKIT_FUZZ_CHECK(h.has_value());
  std::array<uint8_t, kMaxPacketSize> sent;
  auto tx = client.poll_transmit(sent);
  IKEKIT_FUZZ_CHECK(tx.has_value());
  const ByteView request(sent.data(), tx->size);

  ByteView in(data, size);
  Bytes response =
      size > 0 && (data[0] & 1) ? make_valid(request, in.subspan(1)) : Bytes(in.begin(), in.end());
  parse_all(response, request.subspan(4, 16));
  client.receive(0, response, now);
  if (auto r = client.poll_response()) {
    IKEKIT_FUZZ_CHECK(r->handle == *h);
    IKEKIT_FUZZ_CHECK(r->eap_message.size() <= kMaxPacketSize);
    IKEKIT_FUZZ_CHECK(client.outstanding() == 0);
  }
  return 0;
}
