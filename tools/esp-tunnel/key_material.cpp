#include "key_material.hpp"

#include "base/hex.hpp"
#include "crypto/suite.hpp"
#include "decode/key_file.hpp"
#include "decode/key_store.hpp"

using namespace ikekit;
using ikekit::io::dataplane::ChildSaSpec;
using ikekit::io::dataplane::SaKeys;

namespace esp_tunnel {

namespace {

// "aes256gcm16 takes 36 bytes (a 32-byte key and a 4-byte salt)".
std::string expected_len(const crypto::TransformInfo& t) {
  size_t n = size_t(t.key_len) + t.salt_len;
  std::string s = std::string(t.keyword) + " takes " + std::to_string(n) + " bytes (" +
                  std::to_string(2 * n) + " hex digits";
  if (t.salt_len)
    s += ": a " + std::to_string(t.key_len) + "-byte key and a " + std::to_string(t.salt_len) +
         "-byte salt";
  return s + ")";
}

Result<SecretBytes> parse_key(const std::string& text, const std::string& flag, size_t want,
                              const std::string& expectation) {
  // A key is never echoed, not even a malformed one (it may be a real key with a typo).
  if (text.empty()) return flag_error(flag, "is required: " + expectation);
  auto b = from_hex(text, flag);
  if (!b)
    return flag_error(flag, "the " + std::to_string(text.size()) +
                                " characters given are not all hex digits; " + expectation);
  SecretBytes key{ByteView(*b)};
  secure_zero(b->data(), b->size());
  if (key.size() != want)
    return flag_error(flag, "the key given has " + std::to_string(key.size()) + " bytes, but " +
                                expectation);
  return key;
}

// 3DES and AES-CCM are in the algorithm table for ike-decode only (old peers' captures);
// a tunnel never runs them.
Result<void> refuse_decode_only(const crypto::TransformInfo& encr, const std::string& flag,
                                const std::string& where) {
  if (!encr.decode_only) return {};
  return flag_error(flag, where + std::string(encr.keyword) +
                              ": ikekit decodes this cipher in captures but never runs it in a "
                              "tunnel; use aes256gcm16, chacha20poly1305 or aes256 with --integ");
}

std::string cipher_choices() {
  return "aes128gcm16, aes256gcm16, chacha20poly1305, aes128, aes256 (with --integ), ...";
}

} // namespace

Result<uint32_t> parse_spi(const std::string& text, const std::string& flag) {
  std::string_view t = text;
  if (t.size() > 2 && (t.substr(0, 2) == "0x" || t.substr(0, 2) == "0X")) t.remove_prefix(2);
  auto bad = [&] {
    return flag_error(flag,
                      "\"" + text + "\": expected an SPI as 1 to 8 hex digits, e.g. 0xc0ffee01");
  };
  if (t.empty() || t.size() > 8) return bad();
  uint32_t v = 0;
  for (char c : t) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return bad();
    v = v << 4 | uint32_t(d);
  }
  // RFC 4303 2.1: 0 is never sent, 1..255 are reserved.
  if (v < 256) return flag_error(flag, "\"" + text + "\": SPIs 0..255 are reserved (RFC 4303 2.1)");
  return v;
}

Result<void> keys_from_flags(const KeyFlags& f, ChildSaSpec& sa) {
  if (f.cipher.empty())
    return flag_error("--cipher", "is required (or --keys FILE): " + cipher_choices());
  const crypto::TransformInfo* encr = crypto::find_keyword(crypto::TransformKind::encr, f.cipher);
  if (!encr || (!encr->aead && encr->block_size == 0))
    return flag_error("--cipher",
                      "\"" + f.cipher + "\": unknown cipher; expected " + cipher_choices());
  if (auto r = refuse_decode_only(*encr, "--cipher", ""); !r) return r.error();
  const crypto::TransformInfo* integ = nullptr;
  if (encr->aead) {
    if (!f.integ.empty())
      return flag_error("--integ",
                        "\"" + f.integ + "\": " + f.cipher + " is AEAD and takes no --integ");
  } else {
    if (f.integ.empty())
      return flag_error("--integ", "is required with " + f.cipher + ": sha256, sha384 or sha512");
    integ = crypto::find_keyword(crypto::TransformKind::integ, f.integ);
    if (!integ)
      return flag_error("--integ",
                        "\"" + f.integ + "\": unknown; expected sha256, sha384, sha512 or sha1");
  }
  size_t want = size_t(encr->key_len) + encr->salt_len;
  auto kin = parse_key(f.key_in, "--key-in", want, expected_len(*encr));
  if (!kin) return kin.error();
  auto kout = parse_key(f.key_out, "--key-out", want, expected_len(*encr));
  if (!kout) return kout.error();
  sa.in.encr = sa.out.encr = encr;
  sa.in.encr_key = std::move(*kin);
  sa.out.encr_key = std::move(*kout);
  sa.in.integ = sa.out.integ = integ;
  if (integ) {
    std::string exp = std::string(integ->keyword) + " takes " + std::to_string(integ->key_len) +
                      " bytes (" + std::to_string(2 * integ->key_len) + " hex digits)";
    auto iin = parse_key(f.integ_key_in, "--integ-key-in", integ->key_len, exp);
    if (!iin) return iin.error();
    auto iout = parse_key(f.integ_key_out, "--integ-key-out", integ->key_len, exp);
    if (!iout) return iout.error();
    sa.in.integ_key = std::move(*iin);
    sa.out.integ_key = std::move(*iout);
  } else if (!f.integ_key_in.empty() || !f.integ_key_out.empty()) {
    return flag_error(f.integ_key_in.empty() ? "--integ-key-out" : "--integ-key-in",
                      f.cipher + " is AEAD: no integrity key");
  }
  return {};
}

Result<void> keys_from_file(const std::string& path, const KeyFlags& f, ChildSaSpec& sa) {
  for (const auto* flag : {&f.key_in, &f.key_out, &f.integ_key_in, &f.integ_key_out})
    if (!flag->empty())
      return flag_error("--keys", "takes the keys from " + path +
                                      ": leave out --key-in/--key-out/--integ-key-*");
  decode::KeyStore store;
  // These keys protect live traffic: the file must be ours alone (base/secret_file).
  auto fmt = decode::load_key_file(path, store, SecretAccess::owner_only);
  if (!fmt && fmt.error().field == "--keys") return fmt.error(); // the file itself was refused
  if (!fmt) return flag_error("--keys", fmt.error().field + ": " + fmt.error().message);
  // The inbound SA is addressed to us, the outbound one to the peer; a line without
  // dst matches either.
  auto pick = [&](uint32_t spi, const IpAddress& dst) -> const decode::ChildSaKeys* {
    const decode::ChildSaKeys* any = nullptr;
    for (const auto& k : store.child_sas()) {
      if (k.spi != spi) continue;
      if (k.dst && *k.dst == dst) return &k;
      if (!k.dst) any = &k;
    }
    return any;
  };
  struct Dir {
    SaKeys& keys;
    IpAddress dst;
    const char* flag;
  };
  for (Dir d : {Dir{sa.in, sa.local, "--spi-in"}, Dir{sa.out, sa.remote, "--spi-out"}}) {
    const decode::ChildSaKeys* k = pick(d.keys.spi, d.dst);
    if (!k)
      return flag_error("--keys", path + ": no child_sa line with spi " + to_hex_u32(d.keys.spi) +
                                      " and dst " + d.dst.to_string() + " (" + d.flag + ")");
    if (!k->encr)
      return flag_error("--keys",
                        path + ": child_sa " + to_hex_u32(d.keys.spi) + ": no cipher named");
    if (auto r = refuse_decode_only(*k->encr, "--keys",
                                    path + ": child_sa " + to_hex_u32(d.keys.spi) + ": ");
        !r)
      return r.error();
    if (!f.cipher.empty() && f.cipher != k->encr->keyword)
      return flag_error("--cipher", "\"" + f.cipher + "\": " + path + " says " +
                                        std::string(k->encr->keyword) + " for spi " +
                                        to_hex_u32(d.keys.spi));
    if (!f.integ.empty() && (!k->integ || f.integ != k->integ->keyword))
      return flag_error("--integ", "\"" + f.integ + "\": " + path + " says " +
                                       (k->integ ? std::string(k->integ->keyword) : "none (AEAD)"));
    d.keys.encr = k->encr;
    d.keys.integ = k->integ;
    d.keys.encr_key = k->encr_key;
    d.keys.integ_key = k->integ_key;
  }
  return {};
}

} // namespace esp_tunnel
