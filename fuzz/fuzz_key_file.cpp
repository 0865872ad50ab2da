// Fuzz target for ike-decode's key files (lib/decode/key_file, log_keys): ikekit's key
// log (JSON Lines), Wireshark's ikev2_decryption_table and esp_sa UAT tables, strongSwan's
// charon and Libreswan's pluto debug logs, the format detected from the content or
// given. The keys that parse are handed to what the decoder builds from them (SK
// openers, inbound ESP SAs), and a log's blocks are matched with the evidence they
// carry themselves (logged SPIs, installed ESP SPIs, the nonces at the end of a KEYMAT
// seed), as ike-decode matches them to a capture.
//
// Input: flags:u8, then the file's text. Flags bits 0-1: the file name the parser is
// told (keys.jsonl, .../esp_sa, .../ikev2_decryption_table: it decides the format of a
// file of comments only); bits 2-4: the format, 0 detected, 1-5 ikekit, wireshark-ikev2,
// wireshark-esp, charon, pluto (--keys-format), 6-7 detected.
// Invariants: nothing crashes or throws; an error, and a log's problem, names the file
// (and the line: "NAME:LINE.field"); keys matched by SPI carry that SPI.
#include "decode/key_file.hpp"
#include "decode/log_keys.hpp"
#include "decode/sk_opener.hpp"
#include "esp/sa.hpp"
#include "fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace ikekit;
using namespace ikekit::decode;
using ikekit::fuzz::Input;

namespace {

constexpr std::string_view kNames[] = {"keys.jsonl", "wireshark/esp_sa",
                                       "wireshark/ikev2_decryption_table"};
constexpr std::optional<KeyFileFormat> kFormats[] = {std::nullopt,
                                                     KeyFileFormat::ikekit_keylog,
                                                     KeyFileFormat::wireshark_ikev2,
                                                     KeyFileFormat::wireshark_esp,
                                                     KeyFileFormat::charon_log,
                                                     KeyFileFormat::pluto_log,
                                                     std::nullopt,
                                                     std::nullopt};

// "NAME:LINE.field", or "NAME" for what is wrong with the whole file.
bool names_file(const Error& e, std::string_view name) {
  return e.field == name || e.field.rfind(std::string(name) + ":", 0) == 0;
}

// A log's blocks, matched with the evidence they hold themselves (KeyStore::resolve_*,
// as the decoder calls it with a capture's evidence).
void match_logs(KeyStore& store, std::string_view name) {
  std::vector<IkeSaEvidence> ike;
  std::vector<std::pair<uint32_t, IpAddress>> installed;
  std::vector<ChildSaEvidence> child;
  const auto* aead = crypto::find_keyword(crypto::TransformKind::encr, "aes256gcm16");
  const auto* prf = crypto::find_keyword(crypto::TransformKind::prf, "prfsha256");
  for (const LogKeys& log : store.logs()) {
    for (const Error& e : log.problems())
      IKEKIT_FUZZ_CHECK(names_file(e, name));
    (void)log.unmatched();
    for (const LoggedIkeKeys& b : log.ike())
      if (b.spis)
        ike.push_back(IkeSaEvidence{
            b.spis->first, b.spis->second, {}, {}, aead, nullptr, prf, nullptr, nullptr});
    for (const LoggedChildKeys& b : log.child()) {
      for (const auto& sa : {b.inbound, b.outbound})
        if (sa) installed.emplace_back(sa->spi, sa->dst);
      ByteView seed = b.seed.reveal(); // [g^ir |] Ni | Nr, strongSwan's nonces 32 octets
      if (seed.size() < 64 || !b.inbound || !b.outbound || !b.initiator) continue;
      // The logging host's inbound SA: from the peer to it.
      const auto& in = *b.inbound;
      const auto& out = *b.outbound;
      const bool i = *b.initiator;
      child.push_back(ChildSaEvidence{seed.subspan(seed.size() - 64, 32), seed.last(32),
                                      i ? in.spi : out.spi, i ? out.spi : in.spi,
                                      i ? in.dst : in.src, i ? in.src : in.dst, b.encr, b.integ,
                                      nullptr, nullptr});
    }
  }
  for (const auto& ev : ike)
    if (IkeSaKeys* k = store.resolve_ike(ev))
      IKEKIT_FUZZ_CHECK(k->spi_i == ev.spi_i && k->spi_r == ev.spi_r);
  for (const auto& ev : child)
    (void)store.resolve_child(ev);
  for (const auto& [spi, dst] : installed)
    if (ChildSaKeys* k = store.resolve_installed(spi, dst)) IKEKIT_FUZZ_CHECK(k->spi == spi);
}

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
  uint8_t flags = in.u8();
  std::string_view name = kNames[(flags & 3) % std::size(kNames)];
  std::string_view text = fuzz::as_text(in.rest());
  KeyStore store;
  auto format = parse_key_text(text, name, store, kFormats[(flags >> 2) & 7]);
  if (!format) {
    IKEKIT_FUZZ_CHECK(names_file(format.error(), name));
    return 0;
  }
  (void)key_file_format_name(*format);
  match_logs(store, name);
  use_keys(store);
  return 0;
}
