// Fuzz target for lib/eap: the EAP codec (RFC 3748) and the MS-CHAPv2 Type-Data
// (draft-kamath-pppext-eap-mschapv2), then the server and peer machines fed the input
// as a stream of packets (each a 2-byte big-endian length and that many bytes; past the
// end, empty). Invariants: every packet a machine writes fits its buffer and parses
// back as an EAP packet of the right Code; success comes with a 64-byte MSK.
#include "eap/packet.hpp"
#include "eap/peer.hpp"
#include "eap/server.hpp"
#include "fuzz_input.hpp"

#include <array>

using namespace ikekit;
using namespace ikekit::eap;
using ikekit::fuzz::Input;

namespace {

void parse_all(ByteView in) {
  auto p = parse_packet(in);
  if (!p) return;
  IKEKIT_FUZZ_CHECK(p->bytes.size() <= in.size());
  if (!p->type || *p->type != uint8_t(Type::mschapv2)) return;
  auto m = parse_mschapv2(p->code, p->type_data);
  if (!m) return;
  (void)opcode_name(m->opcode);
  if (m->opcode == OpCode::response) (void)parse_response_value(m->value);
}

void check_output(const Step& s, MutBytes out, Code want) {
  IKEKIT_FUZZ_CHECK(s.written <= out.size());
  if (s.written == 0) return;
  auto p = parse_packet(out.first(s.written));
  IKEKIT_FUZZ_CHECK(p.has_value());
  if (want == Code::response)
    IKEKIT_FUZZ_CHECK(p->code == Code::response);
  else
    IKEKIT_FUZZ_CHECK(p->code != Code::response);
}

std::optional<SecretBytes> lookup(std::string_view id) {
  if (id == "alice") return SecretBytes(as_bytes("s3cret-pw"));
  return std::nullopt;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parse_all(ByteView(data, size));
  SeededRng rng_s(1), rng_p(2);
  Server server(ServerConfig{}, rng_s, lookup);
  Peer peer(PeerConfig{"alice", {}, SecretBytes(as_bytes("s3cret-pw"))}, rng_p);
  std::array<uint8_t, 1024> out;
  IKEKIT_FUZZ_CHECK(server.start(out).has_value());
  Input in(data, size);
  while (!in.empty()) {
    ByteView pkt = in.chunk16();
    parse_all(pkt);
    check_output(server.receive(pkt, out), out, Code::request);
    check_output(peer.receive(pkt, out), out, Code::response);
  }
  if (server.status() == Status::success) IKEKIT_FUZZ_CHECK(server.msk().size() == 64);
  if (peer.status() == Status::success) IKEKIT_FUZZ_CHECK(peer.msk().size() == 64);
  return 0;
}
