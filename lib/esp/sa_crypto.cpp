#include "esp/sa_crypto.hpp"

#include "esp/layout.hpp"

#include <string>

namespace ikekit::esp {

namespace {
using crypto::TransformInfo;
using crypto::TransformKind;

Error key_size_error(std::string field, const TransformInfo& t, size_t want, size_t got) {
  return make_error(Errc::bad_length, std::move(field),
                    std::string(t.keyword) + " needs " + std::to_string(want) + " key bytes, got " +
                        std::to_string(got));
}

// AAD for AEAD suites (RFC 4106 5, RFC 7634 2.1): SPI || seq_lo, or SPI || seq_hi ||
// seq_lo with ESN. `aad` must hold 12 bytes.
ByteView build_aad(ByteView packet, bool esn, uint32_t seq_hi, uint8_t* aad) {
  if (!esn) return packet.first(kEspHeaderLen); // SPI || seq already contiguous
  std::memcpy(aad, packet.data(), 4);
  store_be32(aad + 4, seq_hi);
  std::memcpy(aad + 8, packet.data() + 4, 4);
  return ByteView(aad, 12);
}
} // namespace

Result<SaCrypto> SaCrypto::create(const TransformInfo* encr, ByteView encr_key,
                                  const TransformInfo* integ, ByteView integ_key) {
  if (!encr || encr->kind != TransformKind::encr)
    return make_error(Errc::bad_value, "encr", "an ENCR transform is required");
  const size_t want = size_t(encr->key_len) + encr->salt_len;
  if (encr_key.size() != want) return key_size_error("encr_key", *encr, want, encr_key.size());
  SaCrypto c;
  if (encr->aead) {
    // RFC 4106 / RFC 7634: the AEAD provides integrity; no INTEG transform is negotiated.
    if (integ)
      return make_error(Errc::bad_value, "integ",
                        std::string(encr->keyword) +
                            " is combined-mode; no integ transform allowed");
    auto a = crypto::Aead::create(*encr, encr_key);
    if (!a) return std::move(a).error().within("encr");
    c.aead_.emplace(std::move(a).value());
    return c;
  }
  // Encryption without integrity is allowed by RFC 4303 3.2 but not offered here.
  if (!integ || integ->kind != TransformKind::integ)
    return make_error(Errc::bad_value, "integ",
                      std::string(encr->keyword) + " needs an integrity transform");
  if (integ_key.size() != integ->key_len)
    return key_size_error("integ_key", *integ, integ->key_len, integ_key.size());
  auto ci = crypto::Cipher::create(*encr, encr_key);
  if (!ci) return std::move(ci).error().within("encr");
  auto in = crypto::Integ::create(*integ, integ_key);
  if (!in) return std::move(in).error().within("integ");
  c.cipher_.emplace(std::move(ci).value());
  c.integ_.emplace(std::move(in).value());
  return c;
}

CryptoStatus SaCrypto::seal(MutBytes packet, size_t iv_len, size_t icv_len, bool esn,
                            uint32_t seq_hi) {
  const size_t header = kEspHeaderLen + iv_len;
  const size_t text_len = packet.size() - header - icv_len;
  ByteView iv = packet.subspan(kEspHeaderLen, iv_len);
  MutBytes text = packet.subspan(header, text_len);
  MutBytes icv = packet.subspan(header + text_len, icv_len);
  uint8_t hi[4];
  store_be32(hi, seq_hi);
  if (aead_) {
    uint8_t aad_buf[12];
    ByteView aad = build_aad(packet, esn, seq_hi, aad_buf);
    return aead_->seal(iv, aad, text, icv) ? CryptoStatus::ok : CryptoStatus::error;
  }
  if (!cipher_->encrypt(iv, text)) return CryptoStatus::error;
  // RFC 4303 2.2.1 / 3.3.4: ICV over header, IV and ciphertext; with ESN the high
  // sequence bits are appended (implicitly, never sent).
  ByteView covered = packet.first(header + text_len);
  ByteView extra = esn ? ByteView(hi, 4) : ByteView();
  return integ_->compute(covered, extra, icv) ? CryptoStatus::ok : CryptoStatus::error;
}

CryptoStatus SaCrypto::open(MutBytes packet, size_t iv_len, size_t icv_len, bool esn,
                            uint32_t seq_hi) {
  const size_t header = kEspHeaderLen + iv_len;
  const size_t text_len = packet.size() - header - icv_len;
  ByteView iv = packet.subspan(kEspHeaderLen, iv_len);
  MutBytes text = packet.subspan(header, text_len);
  ByteView icv = packet.subspan(header + text_len, icv_len);
  uint8_t hi[4];
  store_be32(hi, seq_hi);
  if (aead_) {
    uint8_t aad_buf[12];
    ByteView aad = build_aad(packet, esn, seq_hi, aad_buf);
    auto r = aead_->open(iv, aad, text, icv);
    if (r) return CryptoStatus::ok;
    return r.error().code == Errc::integrity ? CryptoStatus::bad_icv : CryptoStatus::error;
  }
  ByteView covered = packet.first(header + text_len);
  ByteView extra = esn ? ByteView(hi, 4) : ByteView();
  auto v = integ_->verify(covered, extra, icv);
  if (!v) return v.error().code == Errc::integrity ? CryptoStatus::bad_icv : CryptoStatus::error;
  return cipher_->decrypt(iv, text) ? CryptoStatus::ok : CryptoStatus::error;
}

} // namespace ikekit::esp
