// Fuzz target for the capture decoder (lib/decode): bytes -> frames -> records -> JSON.
// Input: one byte choosing the link type, then frames, each a 2-byte big-endian length
// and that many bytes. A fresh Decoder per input holds the keys of the committed
// psk-chacha20-x25519 reference capture (tests/data, test keys), so the seeds made from
// that capture's frames reach SK decryption, Child SA key derivation from SK_d, ESP
// decryption and IP reassembly; seed-tcp-encap-session (tests/decode/tcp_encap_capture.cpp)
// reaches TCP reassembly and RFC 9329 framing; mutations reach every malformed-frame path. Every
// record also goes through the JSON writer. Must never crash; nothing may grow beyond
// what the input bytes pay for.
#include "base/bytes.hpp"
#include "decode/decoder.hpp"
#include "decode/json_output.hpp"
#include "decode/key_file.hpp"

#include <cstddef>
#include <cstdint>
#include <pcap/dlt.h>
#include <sstream>

using namespace ikekit;

namespace {

constexpr int kLinkTypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                              DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP};

// tests/data/psk-chacha20-x25519/keys.jsonl
constexpr std::string_view kKeys =
    R"KEYS({"type":"ike_sa","spi_i":"783e23ea55f25d37","spi_r":"05acb9c21197cc66","sk_d":"104c412c18bbc832a10a2ef0ff971f1f146d7ac8f06a1c7ea9113cf5311fc567","sk_ai":null,"sk_ar":null,"sk_ei":"7db99fa756ffbf0b29225f958f81c1f3b82cc491e1175a23b8ecbc1b273d14c985f018e8","sk_er":"0eae667bf04d9204afbed11890b7d0cd5efb8c8dd0501b84a25b8bb3cfa1bd6f40ab816f","sk_pi":"2245b15085fa5069a659a5bef0b578316d5a9cf6c5f3dcf8d77cef1cf4496ec6","sk_pr":"667f0df3357ee3f109ca3ad7eb5abdbfe356a247584ce6f2e10aff85227f5751","encr":"chacha20poly1305","integ":null,"prf":"prfsha256","ke":"x25519"}
{"type":"child_sa","spi":"315e4dd9","dst":"10.243.0.1","src":"10.243.0.2","protocol":"esp","encr":"chacha20poly1305","integ":null,"encr_key":"4dcdebc7272ec2bdb95576e0f2533d7a8ef0940b8310c023be8b2af8842b94fc07834dba","integ_key":null}
{"type":"child_sa","spi":"84c88d7d","dst":"10.243.0.2","src":"10.243.0.1","protocol":"esp","encr":"chacha20poly1305","integ":null,"encr_key":"696e02050daa95fd26bd5b75f313f10340ec97d70dd135238ef8d3d95936ec8e8c0d9935","integ_key":null}
)KEYS";

// The keys are parsed once per process (a sixth of an input's cost otherwise); each
// input gets its own copy, since the decoder adds the keys it derives to the store.
const decode::KeyStore& parsed_keys() {
  static const decode::KeyStore keys = [] {
    decode::KeyStore k;
    if (!decode::parse_key_text(kKeys, "fuzz-keys", k)) __builtin_trap(); // the table is ours
    return k;
  }();
  return keys;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  decode::KeyStore keys = parsed_keys();
  decode::Decoder decoder(keys, {});
  std::ostringstream sink_text;
  json::JsonOutput out(sink_text, false);
  decode::DecodeJsonSink sink(out);
  int linktype = kLinkTypes[data[0] % std::size(kLinkTypes)];
  ByteView rest(data + 1, size - 1);
  for (uint64_t number = 1; rest.size() >= 2; ++number) {
    size_t len = load_be16(rest.data());
    rest = rest.subspan(2);
    len = std::min(len, rest.size());
    decode::Frame frame{number, int64_t(number), 0, linktype, rest.first(len)};
    decoder.feed(frame, sink);
    rest = rest.subspan(len);
  }
  decoder.finish(sink); // streams and datagrams left incomplete are reported here
  (void)decode::summary_to_json(decoder.summary());
  return 0;
}
