// Fuzz target for ike-decode's key files (lib/decode/key_file): ikekit's key log (JSON
// Lines), Wireshark's ikev2_decryption_table and esp_sa UAT tables, the format detected
// from the content. The keys that parse are then handed to what the decoder builds from
// them (SK openers, inbound ESP SAs), as ike-decode does before its first packet.
//
// Input: name:u8 (the file name the parser is told: keys.jsonl, .../esp_sa or
// .../ikev2_decryption_table, which decides the format of a file of comments only),
// then the file's text.
// Invariants: nothing crashes or throws; an error names the file and the line
// ("NAME:LINE.field").
#include "decode/key_file.hpp"
#include "decode/sk_opener.hpp"
#include "esp/sa.hpp"
#include "fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace ikekit;
using namespace ikekit::decode;
using ikekit::fuzz::Input;

namespace {

constexpr std::string_view kNames[] = {"keys.jsonl", "wireshark/esp_sa",
                                       "wireshark/ikev2_decryption_table"};

void use_keys(const KeyStore& store) {
  for (const auto& [spis, k] : store.ike_sas()) {
    if (!k.encr) continue;
    (void)SkOpener::create(k.encr, k.sk_ei, k.integ, k.sk_ai);
    (void)SkOpener::create(k.encr, k.sk_er, k.integ, k.sk_ar);
  }
  for (const auto& c : store.child_sas()) {
    if (!c.encr) continue;
    esp::SaParams p; // as Decoder::esp_sa_for builds it
    p.spi = c.spi;
    p.encr = c.encr;
    p.encr_key = c.encr_key.reveal();
    p.integ = c.encr->aead ? nullptr : c.integ;
    p.integ_key = p.integ ? c.integ_key.reveal() : ByteView();
    (void)esp::EspSaIn::create(p);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  std::string_view name = kNames[in.u8() % std::size(kNames)];
  std::string_view text = fuzz::as_text(in.rest());
  KeyStore store;
  auto format = parse_key_text(text, name, store);
  if (!format) {
    IKEKIT_FUZZ_CHECK(format.error().field.rfind(std::string(name) + ":", 0) == 0);
    return 0;
  }
  (void)key_file_format_name(*format);
  use_keys(store);
  return 0;
}
