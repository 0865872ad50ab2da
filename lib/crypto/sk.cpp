#include "crypto/sk.hpp"

#include <algorithm>
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

struct SkCrypter::Own {
  std::optional<Aead> aead;
  std::optional<Cipher> cipher;
  std::optional<Integ> mac;
};

SkCrypter::SkCrypter(const TransformInfo* encr, const TransformInfo* integ, CipherUse use)
    : encr_(encr), integ_(integ), icv_len_(uint8_t(integ ? integ->icv_len : encr->icv_len)),
      use_(use) {}
SkCrypter::SkCrypter(SkCrypter&&) noexcept = default;
SkCrypter& SkCrypter::operator=(SkCrypter&&) noexcept = default;
SkCrypter::~SkCrypter() = default;

Result<SkCrypter> SkCrypter::create(const TransformInfo& encr, ByteView sk_e,
                                    const TransformInfo* integ, ByteView sk_a, CipherUse use,
                                    Keying keying) {
  if (encr.aead && integ)
    return make_error(Errc::bad_value, "integ",
                      std::string(encr.keyword) + " is an AEAD: no integrity transform");
  if (!encr.aead && !integ)
    return make_error(Errc::bad_value, "integ",
                      std::string(encr.keyword) + " needs an integrity transform");
  SkCrypter c(&encr, integ, use);
  if (keying == Keying::per_call) {
    auto ok = encr.aead ? Aead::check(encr, sk_e) : Cipher::check(encr, sk_e);
    if (ok && integ) ok = Integ::check(*integ, sk_a);
    if (!ok) return ok.error();
    c.keys_ = SecretBytes(sk_e.size() + sk_a.size());
    MutBytes k = c.keys_.reveal_mut();
    std::copy(sk_e.begin(), sk_e.end(), k.begin());
    std::copy(sk_a.begin(), sk_a.end(), k.begin() + std::ptrdiff_t(sk_e.size()));
    return c;
  }
  c.own_ = std::make_unique<Own>();
  if (encr.aead) {
    auto a = Aead::create(encr, sk_e, use);
    if (!a) return a.error();
    c.own_->aead = std::move(*a);
    return c;
  }
  auto ci = Cipher::create(encr, sk_e, use);
  if (!ci) return ci.error();
  auto m = Integ::create(*integ, sk_a);
  if (!m) return m.error();
  c.own_->cipher = std::move(*ci);
  c.own_->mac = std::move(*m);
  return c;
}

ByteView SkCrypter::sk_e() const {
  return keys_.reveal().first(size_t(encr_->key_len) + encr_->salt_len);
}
ByteView SkCrypter::sk_a() const {
  return keys_.reveal().subspan(size_t(encr_->key_len) + encr_->salt_len);
}

// `covered`: what the MAC covers (CBC/CTR), the message up to the ICV.
Result<void> SkCrypter::encrypt(ByteView iv, ByteView aad, MutBytes enc, MutBytes icv,
                                ByteView covered) {
  if (use_ == CipherUse::decrypt)
    return make_error(Errc::unsupported, "sk", "keyed for opening only");
  if (encr_->aead)
    return own_ ? own_->aead->seal(iv, aad, enc, icv)
                : Aead::seal_with(*encr_, sk_e(), iv, aad, enc, icv);
  auto ok = own_ ? own_->cipher->encrypt(iv, enc) : Cipher::encrypt_with(*encr_, sk_e(), iv, enc);
  if (!ok) return ok;
  return own_ ? own_->mac->compute(covered, {}, icv)
              : Integ::compute_with(*integ_, sk_a(), covered, {}, icv);
}

Result<void> SkCrypter::decrypt(ByteView iv, ByteView aad, MutBytes enc, ByteView icv,
                                ByteView covered) {
  if (use_ == CipherUse::encrypt)
    return make_error(Errc::unsupported, "sk", "keyed for sealing only");
  if (encr_->aead) {
    auto ok = own_ ? own_->aead->open(iv, aad, enc, icv)
                   : Aead::open_with(*encr_, sk_e(), iv, aad, enc, icv);
    if (!ok && ok.error().code == Errc::integrity) {
      Error e = ok.error();
      e.field = "sk.icv";
      return e;
    }
    return ok;
  }
  // RFC 7296 3.14: the checksum covers the message from the IKE header through the
  // encrypted data; verify before decrypting.
  auto ok = own_ ? own_->mac->verify(covered, {}, icv)
                 : Integ::verify_with(*integ_, sk_a(), covered, {}, icv);
  if (!ok) {
    Error e = ok.error();
    e.field = "sk.icv";
    return e;
  }
  return own_ ? own_->cipher->decrypt(iv, enc) : Cipher::decrypt_with(*encr_, sk_e(), iv, enc);
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

  if (encr_->aead || encr_->id == 13) {
    store_be64(iv.data(), ++iv_counter_); // unique per key (RFC 5282 3.1, RFC 5930 4)
  } else {
    rng.fill(iv);
  }
  ByteView aad(message.data(), sk_offset + hdr);
  auto ok = encrypt(iv, aad, enc, icv, ByteView(message.data(), msg_len - icv_len_));
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

  ByteView aad(message.data(), sk_offset + hdr);
  auto ok = decrypt(iv, aad, enc, icv, ByteView(message.data(), sk_offset + sk_len - icv_len_));
  if (!ok) return ok.error();
  const size_t pad = enc[enc_len - 1];
  if (pad + 1 > enc_len)
    return sk_error(Errc::bad_length, "sk.pad_length",
                    "pad length " + std::to_string(pad) + " exceeds the " +
                        std::to_string(enc_len - 1) + " decrypted bytes");
  return enc.first(enc_len - 1 - pad);
}

} // namespace ikekit::crypto
