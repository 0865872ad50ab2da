#include "radius/mppe.hpp"

#include "crypto/legacy_hash.hpp"

#include <algorithm>

namespace ikekit::radius {

namespace {

constexpr size_t kBlock = 16;

// XORs `in` block by block with the RFC 2548 2.4.2 key stream into `out`; the stream
// chains on the ciphertext, which is `in` when decrypting and `out` when encrypting.
Result<void> xor_stream(ByteView in, MutBytes out, ByteView secret, ByteView request_auth,
                        ByteView salt, bool decrypt) {
  uint8_t b[kBlock];
  for (size_t i = 0; i < in.size(); i += kBlock) {
    auto d = i == 0
                 ? crypto::legacy_digest(crypto::LegacyDigest::md5, {secret, request_auth, salt}, b)
                 : crypto::legacy_digest(
                       crypto::LegacyDigest::md5,
                       {secret, (decrypt ? in : ByteView(out)).subspan(i - kBlock, kBlock)}, b);
    if (!d) return d.error();
    for (size_t k = 0; k < kBlock; ++k)
      out[i + k] = uint8_t(in[i + k] ^ b[k]);
  }
  secure_zero(b, sizeof b);
  return {};
}

} // namespace

Result<SecretBytes> decrypt_mppe_key(ByteView value, ByteView secret,
                                     ByteView request_authenticator) {
  // Salt, then at least one 16-byte block, a whole number of them.
  if (value.size() < 2 + kBlock || (value.size() - 2) % kBlock != 0)
    return make_error(Errc::bad_length, "ms_mppe_key",
                      std::to_string(value.size()) + ": expected 2 + a multiple of 16 bytes");
  const ByteView salt = value.first(2);
  const ByteView c = value.subspan(2);
  SecretBytes plain(c.size());
  auto x = xor_stream(c, plain.reveal_mut(), secret, request_authenticator, salt, true);
  if (!x) return x.error();
  const size_t key_length = plain.reveal()[0];
  if (key_length == 0 || key_length > plain.size() - 1)
    return make_error(Errc::bad_value, "ms_mppe_key.key_length",
                      std::to_string(key_length) + ": does not fit the " +
                          std::to_string(plain.size() - 1) +
                          " decrypted bytes (wrong shared secret?)");
  return plain.slice(1, key_length);
}

Result<size_t> encrypt_mppe_key(ByteView key, uint16_t salt, ByteView secret,
                                ByteView request_authenticator, MutBytes out) {
  if (key.empty() || key.size() > 255)
    return make_error(Errc::bad_length, "ms_mppe_key", "1..255 bytes of key");
  const size_t plain_len = (1 + key.size() + kBlock - 1) / kBlock * kBlock;
  if (out.size() < 2 + plain_len)
    return make_error(Errc::bad_length, "ms_mppe_key", "output too small");
  SecretBytes plain(plain_len);
  plain.reveal_mut()[0] = uint8_t(key.size());
  std::copy(key.begin(), key.end(), plain.reveal_mut().begin() + 1);
  store_be16(out.data(), uint16_t(salt | 0x8000)); // RFC 2548 2.4.2: high bit set
  auto x = xor_stream(plain.reveal(), out.subspan(2, plain_len), secret, request_authenticator,
                      ByteView(out.data(), 2), false);
  if (!x) return x.error();
  return 2 + plain_len;
}

SecretBytes msk_from_mppe(const SecretBytes& recv_key, const SecretBytes& send_key) {
  SecretBytes msk(std::max(kMskSize, recv_key.size() + send_key.size()));
  std::copy(recv_key.reveal().begin(), recv_key.reveal().end(), msk.reveal_mut().begin());
  std::copy(send_key.reveal().begin(), send_key.reveal().end(),
            msk.reveal_mut().begin() + long(recv_key.size()));
  return msk;
}

} // namespace ikekit::radius
