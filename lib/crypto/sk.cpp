#include "crypto/sk.hpp"

#include <cstring>
#include <string>

namespace ikekit::crypto {

namespace {
constexpr size_t kIkeHeaderLen = 28;    // RFC 7296 3.1
constexpr size_t kIkeLengthOffset = 24; // RFC 7296 3.1: Length, last 4 octets of the header

Error sk_error(Errc code, const char* field, std::string message) {
  return make_error(code, field, std::move(message));
}
} // namespace

SkCrypter::SkCrypter(const TransformInfo* encr, const TransformInfo* integ,
                     std::optional<Aead> aead, std::optional<Cipher> cipher,
                     std::optional<Integ> mac)
    : encr_(encr), integ_(integ), aead_(std::move(aead)), cipher_(std::move(cipher)),
      mac_(std::move(mac)), icv_len_(integ ? integ->icv_len : encr->icv_len) {}
SkCrypter::SkCrypter(SkCrypter&&) noexcept = default;
SkCrypter& SkCrypter::operator=(SkCrypter&&) noexcept = default;
SkCrypter::~SkCrypter() = default;

Result<SkCrypter> SkCrypter::create(const TransformInfo& encr, ByteView sk_e,
                                    const TransformInfo* integ, ByteView sk_a, CipherUse use,
                                    Keying keying) {
  if (encr.aead) {
    if (integ)
      return make_error(Errc::bad_value, "integ",
                        std::string(encr.keyword) + " is an AEAD: no integrity transform");
    auto a = Aead::create(encr, sk_e, use, keying);
    if (!a) return a.error();
    return SkCrypter(&encr, nullptr, std::move(*a), std::nullopt, std::nullopt);
  }
  if (!integ)
    return make_error(Errc::bad_value, "integ",
                      std::string(encr.keyword) + " needs an integrity transform");
  auto c = Cipher::create(encr, sk_e, use);
  if (!c) return c.error();
  auto m = Integ::create(*integ, sk_a);
  if (!m) return m.error();
  return SkCrypter(&encr, integ, std::nullopt, std::move(*c), std::move(*m));
}

size_t SkCrypter::plaintext_offset(bool fragment) const {
  return (fragment ? 8 : 4) + encr_->iv_len;
}

size_t SkCrypter::sealed_size(size_t plaintext_len, bool fragment) const {
  // RFC 7296 3.14: plaintext | padding | pad length is a multiple of the block size.
  const size_t block = encr_->block_size ? encr_->block_size : 1;
  const size_t padded = (plaintext_len + 1 + block - 1) / block * block;
  return plaintext_offset(fragment) + padded + icv_len_;
}

Result<size_t> SkCrypter::seal(MutBytes message, size_t sk_offset, size_t plaintext_len,
                               bool fragment, Rng& rng) {
  const size_t total = sealed_size(plaintext_len, fragment);
  if (sk_offset < kIkeHeaderLen || message.size() < sk_offset || message.size() - sk_offset < total)
    return sk_error(Errc::bad_length, "sk",
                    "buffer of " + std::to_string(message.size()) +
                        " bytes cannot hold the SK payload at " + std::to_string(sk_offset) +
                        " of " + std::to_string(total) + " bytes");
  if (total > 0xffff || sk_offset + total > 0xffffffffu)
    return sk_error(Errc::bad_length, "sk", "SK payload longer than 65535 bytes");
  const size_t hdr = fragment ? 8 : 4;
  uint8_t* sk = message.data() + sk_offset;
  MutBytes iv(sk + hdr, encr_->iv_len);
  const size_t enc_len = total - hdr - encr_->iv_len - icv_len_;
  MutBytes enc(sk + hdr + encr_->iv_len, enc_len);
  // Padding (zeros; RFC 7296 3.14 lets it be any value) then Pad Length.
  const size_t pad = enc_len - plaintext_len - 1;
  std::memset(enc.data() + plaintext_len, 0, pad);
  enc[enc_len - 1] = uint8_t(pad);
  // Lengths first: both are covered by the ICV / AAD.
  store_be16(sk + 2, uint16_t(total));
  const size_t msg_len = sk_offset + total;
  store_be32(message.data() + kIkeLengthOffset, uint32_t(msg_len));
  MutBytes icv(sk + total - icv_len_, icv_len_);

  if (aead_ || encr_->id == 13) {
    store_be64(iv.data(), ++iv_counter_); // unique per key (RFC 5282 3.1, RFC 5930 4)
  } else {
    rng.fill(iv);
  }
  if (aead_) {
    ByteView aad(message.data(), sk_offset + hdr);
    auto ok = aead_->seal(iv, aad, enc, icv);
    if (!ok) return ok.error();
    return msg_len;
  }
  auto ok = cipher_->encrypt(iv, enc);
  if (!ok) return ok.error();
  ok = mac_->compute(ByteView(message.data(), msg_len - icv_len_), {}, icv);
  if (!ok) return ok.error();
  return msg_len;
}

Result<MutBytes> SkCrypter::open(MutBytes message, size_t sk_offset, size_t sk_len, bool fragment) {
  const size_t hdr = fragment ? 8 : 4;
  if (sk_offset > message.size() || message.size() - sk_offset < sk_len)
    return sk_error(Errc::truncated, "sk", "payload extends past the end of the message");
  if (sk_len < hdr + encr_->iv_len)
    return sk_error(Errc::truncated, "sk.iv",
                    "needs " + std::to_string(encr_->iv_len) + " bytes of IV");
  if (sk_len < hdr + encr_->iv_len + icv_len_)
    return sk_error(Errc::truncated, "sk.icv",
                    "needs " + std::to_string(icv_len_) + " bytes of ICV");
  const size_t enc_len = sk_len - hdr - encr_->iv_len - icv_len_;
  if (enc_len < 1)
    return sk_error(Errc::truncated, "sk.pad_length", "no room for the Pad Length octet");
  if (encr_->block_size > 1 && enc_len % encr_->block_size != 0)
    return sk_error(Errc::bad_length, "sk.encrypted",
                    std::to_string(enc_len) + " bytes is not a multiple of the " +
                        std::to_string(encr_->block_size) + "-byte block");
  uint8_t* sk = message.data() + sk_offset;
  ByteView iv(sk + hdr, encr_->iv_len);
  MutBytes enc(sk + hdr + encr_->iv_len, enc_len);
  ByteView icv(sk + sk_len - icv_len_, icv_len_);

  if (aead_) {
    ByteView aad(message.data(), sk_offset + hdr);
    auto ok = aead_->open(iv, aad, enc, icv);
    if (!ok) {
      Error e = ok.error();
      if (e.code == Errc::integrity) e.field = "sk.icv";
      return e;
    }
  } else {
    // RFC 7296 3.14: the checksum covers the message from the IKE header through the
    // encrypted data; verify before decrypting.
    auto ok = mac_->verify(ByteView(message.data(), sk_offset + sk_len - icv_len_), {}, icv);
    if (!ok) {
      Error e = ok.error();
      e.field = "sk.icv";
      return e;
    }
    ok = cipher_->decrypt(iv, enc);
    if (!ok) return ok.error();
  }
  const size_t pad = enc[enc_len - 1];
  if (pad + 1 > enc_len)
    return sk_error(Errc::bad_length, "sk.pad_length",
                    "pad length " + std::to_string(pad) + " exceeds the " +
                        std::to_string(enc_len - 1) + " decrypted bytes");
  return enc.first(enc_len - 1 - pad);
}

} // namespace ikekit::crypto
