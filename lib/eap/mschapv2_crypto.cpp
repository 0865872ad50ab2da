#include "eap/mschapv2_crypto.hpp"

#include "base/hex.hpp"
#include "crypto/legacy_hash.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace ikekit::eap {

using crypto::legacy_digest;
using crypto::LegacyDigest;

namespace {

// RFC 2759 8.7 Magic1 / Magic2 (the authenticator response).
constexpr std::string_view kAuthMagic1 = "Magic server to client signing constant";
constexpr std::string_view kAuthMagic2 = "Pad to make it do more than one iteration";
// RFC 3079 3.4 Magic1..3 and SHSpad1/2 (the MPPE keys).
constexpr std::string_view kKeyMagic1 = "This is the MPPE Master Key";
constexpr std::string_view kKeyMagic2 =
    "On the client side, this is the send key; on the server side, it is the receive key.";
constexpr std::string_view kKeyMagic3 =
    "On the client side, this is the receive key; on the server side, it is the send key.";
constexpr std::array<uint8_t, 40> kShsPad1{};
constexpr std::array<uint8_t, 40> kShsPad2 = [] {
  std::array<uint8_t, 40> a{};
  for (auto& b : a)
    b = 0xf2;
  return a;
}();

Result<SecretBytes> md4(ByteView in) {
  SecretBytes out(crypto::kMd4Size);
  auto r = legacy_digest(LegacyDigest::md4, {in}, out.reveal_mut());
  if (!r) return r.error();
  return out;
}

// RFC 2759 8.6 DesEncrypt: the 7-byte key spread over 8 bytes, 7 bits each (the low
// parity bit is left zero; DES ignores it).
Result<void> des_encrypt(ByteView clear8, ByteView key7, MutBytes out8) {
  uint8_t key[8];
  key[0] = key7[0];
  for (int i = 1; i < 7; ++i)
    key[i] = uint8_t(key7[i - 1] << (8 - i) | key7[i] >> i);
  key[7] = uint8_t(key7[6] << 1);
  auto r = crypto::des_encrypt_block(ByteView(key, 8), clear8, out8);
  secure_zero(key, sizeof key);
  return r;
}

// Decodes one UTF-8 code point at `i` and advances past it; nullopt when malformed.
std::optional<uint32_t> next_code_point(ByteView s, size_t& i) {
  const uint8_t b0 = s[i];
  const size_t extra = b0 < 0x80             ? 0
                       : (b0 & 0xe0) == 0xc0 ? 1
                       : (b0 & 0xf0) == 0xe0 ? 2
                       : (b0 & 0xf8) == 0xf0 ? 3
                                             : 4;
  if (extra == 4 || s.size() - i <= extra) return std::nullopt;
  uint32_t cp = extra == 0 ? b0 : uint32_t(b0 & (0x3f >> extra));
  for (size_t k = 1; k <= extra; ++k) {
    const uint8_t b = s[i + k];
    if ((b & 0xc0) != 0x80) return std::nullopt;
    cp = cp << 6 | (b & 0x3f);
  }
  i += extra + 1;
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  return cp;
}

} // namespace

Result<SecretBytes> password_to_unicode(ByteView utf8) {
  SecretBytes out(utf8.size() * 4);
  size_t n = 0;
  auto put = [&](uint32_t unit) {
    out.reveal_mut()[n++] = uint8_t(unit);
    out.reveal_mut()[n++] = uint8_t(unit >> 8);
  };
  for (size_t i = 0; i < utf8.size();) {
    auto cp = next_code_point(utf8, i);
    if (!cp) return make_error(Errc::bad_value, "password", "not valid UTF-8");
    if (*cp < 0x10000) {
      put(*cp);
    } else { // a surrogate pair
      put(0xd800 + ((*cp - 0x10000) >> 10));
      put(0xdc00 + ((*cp - 0x10000) & 0x3ff));
    }
  }
  return out.slice(0, n);
}

Result<SecretBytes> nt_password_hash(ByteView unicode_password) { return md4(unicode_password); }
Result<SecretBytes> hash_nt_password_hash(ByteView password_hash) { return md4(password_hash); }

std::string_view user_name_for_hash(std::string_view name) {
  const size_t slash = name.find('\\');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

Result<std::array<uint8_t, 8>> challenge_hash(ByteView peer_challenge,
                                              ByteView authenticator_challenge,
                                              std::string_view user_name) {
  uint8_t digest[crypto::kSha1Size];
  auto r = legacy_digest(LegacyDigest::sha1,
                         {peer_challenge, authenticator_challenge, as_bytes(user_name)}, digest);
  if (!r) return r.error();
  std::array<uint8_t, 8> out;
  std::copy(digest, digest + 8, out.begin());
  return out;
}

Result<std::array<uint8_t, 24>> challenge_response(ByteView challenge8, ByteView password_hash) {
  if (challenge8.size() != 8 || password_hash.size() != kNtHashSize)
    return make_error(Errc::bad_length, "challenge_response", "8-byte challenge, 16-byte hash");
  uint8_t z[21] = {}; // ZPasswordHash: the hash padded to 21 bytes with zeros
  std::copy(password_hash.begin(), password_hash.end(), z);
  std::array<uint8_t, 24> out;
  for (size_t i = 0; i < 3; ++i) {
    auto r = des_encrypt(challenge8, ByteView(z + 7 * i, 7), MutBytes(out.data() + 8 * i, 8));
    if (!r) {
      secure_zero(z, sizeof z);
      return r.error();
    }
  }
  secure_zero(z, sizeof z);
  return out;
}

Result<std::array<uint8_t, 24>> generate_nt_response(ByteView authenticator_challenge,
                                                     ByteView peer_challenge,
                                                     std::string_view user_name,
                                                     ByteView unicode_password) {
  auto ch = challenge_hash(peer_challenge, authenticator_challenge, user_name);
  if (!ch) return ch.error();
  auto hash = nt_password_hash(unicode_password);
  if (!hash) return hash.error();
  return challenge_response(*ch, hash->reveal());
}

Result<std::string> generate_authenticator_response(ByteView password_hash_hash,
                                                    ByteView nt_response, ByteView peer_challenge,
                                                    ByteView authenticator_challenge,
                                                    std::string_view user_name) {
  uint8_t digest[crypto::kSha1Size];
  auto r = legacy_digest(LegacyDigest::sha1,
                         {password_hash_hash, nt_response, as_bytes(kAuthMagic1)}, digest);
  if (!r) return r.error();
  auto ch = challenge_hash(peer_challenge, authenticator_challenge, user_name);
  if (!ch) return ch.error();
  r = legacy_digest(LegacyDigest::sha1, {ByteView(digest), *ch, as_bytes(kAuthMagic2)}, digest);
  if (!r) return r.error();
  std::string out = "S=" + to_hex(ByteView(digest));
  for (auto& c : out)
    c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool check_authenticator_response(std::string_view expected, std::string_view received) {
  if (expected.size() != received.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    diff |= unsigned(std::toupper(static_cast<unsigned char>(expected[i])) ^
                     std::toupper(static_cast<unsigned char>(received[i])));
  return diff == 0;
}

Result<SecretBytes> get_master_key(ByteView password_hash_hash, ByteView nt_response) {
  SecretBytes digest(crypto::kSha1Size);
  auto r =
      legacy_digest(LegacyDigest::sha1, {password_hash_hash, nt_response, as_bytes(kKeyMagic1)},
                    digest.reveal_mut());
  if (!r) return r.error();
  return digest.slice(0, 16);
}

Result<SecretBytes> get_asymmetric_start_key(ByteView master_key, bool is_send, bool is_server) {
  // RFC 3079 3.4: the client sends with Magic2, the server with Magic3.
  const std::string_view magic = is_send == is_server ? kKeyMagic3 : kKeyMagic2;
  SecretBytes digest(crypto::kSha1Size);
  auto r = legacy_digest(LegacyDigest::sha1, {master_key, kShsPad1, as_bytes(magic), kShsPad2},
                         digest.reveal_mut());
  if (!r) return r.error();
  return digest.slice(0, 16);
}

Result<SecretBytes> mschapv2_msk(ByteView password_hash_hash, ByteView nt_response) {
  auto master = get_master_key(password_hash_hash, nt_response);
  if (!master) return master.error();
  auto receive = get_asymmetric_start_key(master->reveal(), false, true);
  if (!receive) return receive.error();
  auto send = get_asymmetric_start_key(master->reveal(), true, true);
  if (!send) return send.error();
  SecretBytes msk(kMskSize); // zero-filled: the last 32 bytes stay zero
  std::copy(receive->reveal().begin(), receive->reveal().end(), msk.reveal_mut().begin());
  std::copy(send->reveal().begin(), send->reveal().end(), msk.reveal_mut().begin() + 16);
  return msk;
}

} // namespace ikekit::eap
