#include "decode/wireshark_export.hpp"

#include "base/hex.hpp"
#include "base/secret_file.hpp"
#include "decode/wireshark_names.hpp"

#include <filesystem>

namespace ikekit::decode {

namespace {

using crypto::TransformKind;

// The tables hold keys: each is written 0600 from the start and renamed into place
// (base/secret_file), so a symlink planted at its name is replaced, never followed.
Result<void> write_file(const std::filesystem::path& path, const std::string& text) {
  return replace_secret_file(path.string(), text, "--emit-wireshark");
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// ikev2_decryption_table: spi_i, spi_r, sk_ei, sk_er, encryption, sk_ai, sk_ar, integrity.
std::string ikev2_decryption_table(const KeyStore& keys, const IkeTracker& tracker,
                                   WiresharkExport& out) {
  std::string ike = "# ikev2_decryption_table written by ike-decode (contains keys)\n";
  for (const auto& [spis, k] : keys.ike_sas()) {
    const crypto::TransformInfo* encr = k.encr;
    const crypto::TransformInfo* integ = k.integ;
    if (!encr) {
      auto it = tracker.sas().find(spis);
      if (it != tracker.sas().end()) {
        encr = it->second.encr;
        integ = it->second.integ;
      }
    }
    std::string sa = to_hex_u64(spis.first) + "_i/" + to_hex_u64(spis.second) + "_r";
    if (!encr) {
      out.skipped.push_back("IKE SA " + sa + ": algorithms unknown");
      continue;
    }
    if (encr->wireshark_name.empty()) {
      out.skipped.push_back("IKE SA " + sa + ": Wireshark cannot decrypt " +
                            std::string(encr->keyword));
      continue;
    }
    ike += to_hex_u64(spis.first) + "," + to_hex_u64(spis.second) + "," + to_hex(k.sk_ei.reveal()) +
           "," + to_hex(k.sk_er.reveal()) + "," +
           in_quotes(ikev2_table_name(TransformKind::encr, encr)) + "," + to_hex(k.sk_ai.reveal()) +
           "," + to_hex(k.sk_ar.reveal()) + "," +
           in_quotes(ikev2_table_name(TransformKind::integ, encr->aead ? nullptr : integ)) + "\n";
    ++out.ike_sas;
  }
  return ike;
}

// One esp_sa row for `c` between src and dst (absent: Wireshark's wildcard) appended to
// `esp`; false when Wireshark cannot use it (why, in out.skipped when `report`).
bool append_esp_row(std::string& esp, const ChildSaKeys& c, const std::optional<IpAddress>& src,
                    const std::optional<IpAddress>& dst, const IkeTracker& tracker,
                    WiresharkExport& out, bool report) {
  const crypto::TransformInfo* encr = c.encr;
  const crypto::TransformInfo* integ = c.integ;
  if (!encr) {
    if (auto a = tracker.child_algorithms(c.spi)) {
      encr = a->encr;
      integ = a->integ;
    }
  }
  std::string sa = "ESP SA " + to_hex_u32(c.spi);
  if (!encr) {
    if (report) out.skipped.push_back(sa + ": algorithms unknown");
    return false;
  }
  std::string_view ename = esp_table_name(encr);
  if (ename.empty()) {
    if (report)
      out.skipped.push_back(sa + ": Wireshark cannot decrypt " + std::string(encr->keyword));
    return false;
  }
  const IpAddress* family_of = dst ? &*dst : (src ? &*src : nullptr);
  std::string family = family_of && !family_of->is_v4() ? "IPv6" : "IPv4";
  const std::string any = "*"; // Wireshark's wildcard address
  esp += in_quotes(family) + "," + in_quotes(src ? src->to_string() : any) + "," +
         in_quotes(dst ? dst->to_string() : any) + "," + in_quotes("0x" + to_hex_u32(c.spi)) + "," +
         in_quotes(ename) + "," + in_quotes("0x" + to_hex(c.encr_key.reveal())) + "," +
         in_quotes(esp_table_name(encr->aead ? nullptr : integ)) + "," +
         in_quotes("0x" + to_hex(encr->aead ? ByteView() : c.integ_key.reveal())) + "\n";
  return true;
}

// esp_sa: protocol, src, dst, spi, encryption, key, authentication, key. A Child SA
// whose IKE SA moved has a row for each pair of addresses it was used between
// (Wireshark matches both), so the table decrypts what the decoder did.
std::string esp_sa_table(const KeyStore& keys, const IkeTracker& tracker, WiresharkExport& out) {
  std::string esp = "# esp_sa written by ike-decode (contains keys)\n";
  for (const auto& c : keys.child_sas())
    out.esp_sas += append_esp_row(esp, c, c.src, c.dst, tracker, out, true);
  for (const auto& m : keys.moved_child_sas()) // skipped once, above
    out.esp_sas +=
        append_esp_row(esp, keys.child_sas()[m.index], m.src, m.dst, tracker, out, false);
  return esp;
}

} // namespace

Result<WiresharkExport> write_wireshark_tables(const std::string& dir, const KeyStore& keys,
                                               const IkeTracker& tracker) {
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(Errc::io, "--emit-wireshark", dir + ": " + ec.message());
  if (created) // ours alone (still empty: no key was written yet)
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  WiresharkExport out;
  const std::string ike = ikev2_decryption_table(keys, tracker, out);
  const std::string esp = esp_sa_table(keys, tracker, out);

  std::filesystem::path d(dir);
  if (auto r = write_file(d / "ikev2_decryption_table", ike); !r) return r.error();
  if (auto r = write_file(d / "esp_sa", esp); !r) return r.error();
  if (auto r = write_file(d / "preferences",
                          "# written by ike-decode: ESP decryption is off by default in Wireshark\n"
                          "esp.enable_encryption_decode: TRUE\n"
                          "esp.enable_authentication_check: TRUE\n");
      !r)
    return r.error();
  return out;
}

} // namespace ikekit::decode
