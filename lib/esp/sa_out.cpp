// EspSaOut: outbound ESP processing (RFC 4303 3.3).
#include "esp/sa.hpp"

#include <string>

namespace ikekit::esp {

std::string_view seal_status_name(SealStatus s) {
  switch (s) {
  case SealStatus::ok:
    return "ok";
  case SealStatus::sa_exhausted:
    return "sa_exhausted";
  case SealStatus::no_room:
    return "no_room";
  case SealStatus::crypto_error:
    return "crypto_error";
  }
  return "unknown";
}

Result<EspSaOut> EspSaOut::create(const SaParams& params, Rng* rng) {
  auto c = SaCrypto::create(params.encr, params.encr_key, params.integ, params.integ_key);
  if (!c) return std::move(c).error().within("esp");
  EspSaOut sa;
  sa.crypto_ = std::move(c).value();
  sa.overhead_ = esp_overhead(*params.encr, params.integ);
  sa.spi_ = params.spi;
  sa.esn_ = params.esn;
  // RFC 3602 2.1: CBC IVs must be unpredictable, so they come from the Rng. AEAD and
  // CTR IVs need only be unique per key (RFC 4106 3.1, RFC 7634 2, RFC 3686 3): the
  // 64-bit sequence number is, because it never repeats within an SA.
  sa.random_iv_ = !params.encr->aead && params.encr->block_size > 1;
  if (sa.random_iv_ && !rng)
    return make_error(Errc::bad_value, "esp.rng",
                      std::string(params.encr->keyword) + " needs random IVs but no Rng was given");
  if (!sa.random_iv_ && params.encr->iv_len != 0 && params.encr->iv_len != 8)
    return make_error(Errc::unsupported, "esp.encr",
                      std::string(params.encr->keyword) + ": counter IVs must be 8 bytes");
  sa.rng_ = rng;
  // RFC 4303 3.3.3: the counter must not cycle; 2^32 - 1 (or 2^64 - 1 with ESN) is the
  // last number that may be sent.
  sa.max_seq_ = params.esn ? ~uint64_t(0) : uint64_t(UINT32_MAX);
  if (params.first_seq == 0 || params.first_seq > sa.max_seq_)
    return make_error(Errc::bad_value, "esp.first_seq",
                      std::to_string(params.first_seq) + ": expected 1.." +
                          std::to_string(sa.max_seq_) + " (RFC 4303 3.3.3: never cycle)");
  sa.next_seq_ = params.first_seq;
  sa.soft_limit_seq_ =
      params.soft_limit_seq ? params.soft_limit_seq : sa.max_seq_ - (sa.max_seq_ >> 3);
  return sa;
}

Sealed EspSaOut::seal_in_place(MutBytes buffer, size_t payload_offset, size_t payload_len,
                               uint8_t next_header) {
  return seal(buffer, payload_offset, payload_len, next_header, nullptr);
}

Sealed EspSaOut::seal_in_place_for_test(MutBytes buffer, size_t payload_offset, size_t payload_len,
                                        uint8_t next_header, const TestOverrides& overrides) {
  return seal(buffer, payload_offset, payload_len, next_header, &overrides);
}

Sealed EspSaOut::seal(MutBytes buffer, size_t payload_offset, size_t payload_len,
                      uint8_t next_header, const TestOverrides* overrides) {
  Sealed out;
  if (exhausted_) {
    ++stats_.sa_exhausted;
    out.status = SealStatus::sa_exhausted;
    return out;
  }
  const Overhead& o = overhead_;
  const size_t pad = o.padding(payload_len);
  if (payload_offset < o.header || payload_offset > buffer.size() ||
      payload_len > buffer.size() - payload_offset ||
      buffer.size() - payload_offset - payload_len < pad + kEspTrailerLen + o.icv) {
    ++stats_.no_room;
    out.status = SealStatus::no_room;
    return out;
  }
  const size_t iv_len = o.header - kEspHeaderLen;
  const size_t text_len = payload_len + pad + kEspTrailerLen;
  MutBytes packet = buffer.subspan(payload_offset - o.header, o.header + text_len + o.icv);
  uint8_t* p = packet.data();

  // The number is consumed before encrypting, so a failed seal never lets it repeat.
  const uint64_t seq = next_seq_;
  if (seq == max_seq_)
    exhausted_ = true;
  else
    ++next_seq_;

  // RFC 4303 2.1, 2.2: SPI and the low 32 bits of the sequence number.
  store_be32(p, spi_);
  store_be32(p + 4, uint32_t(seq));
  MutBytes iv = packet.subspan(kEspHeaderLen, iv_len);
  if (overrides && !overrides->iv.empty()) {
    if (overrides->iv.size() != iv_len) {
      ++stats_.crypto_error;
      out.status = SealStatus::crypto_error;
      return out;
    }
    std::memcpy(iv.data(), overrides->iv.data(), iv_len);
  } else if (random_iv_) {
    rng_->fill(iv);
  } else if (iv_len == 8) {
    store_be64(iv.data(), seq);
  }

  // RFC 4303 2.4: padding bytes 1, 2, 3, ..., then Pad Length and Next Header.
  uint8_t* t = p + o.header + payload_len;
  const uint8_t skew = overrides && overrides->bad_padding ? 1 : 0;
  for (size_t i = 0; i < pad; ++i)
    t[i] = uint8_t(i + 1 + skew);
  t[pad] = uint8_t(pad);
  t[pad + 1] = next_header;

  if (crypto_.seal(packet, iv_len, o.icv, esn_, uint32_t(seq >> 32)) != CryptoStatus::ok) {
    ++stats_.crypto_error;
    out.status = SealStatus::crypto_error;
    return out;
  }
  ++stats_.packets;
  stats_.bytes += payload_len;
  out.packet = packet;
  out.seq = seq;
  out.soft_limit = seq >= soft_limit_seq_;
  return out;
}

} // namespace ikekit::esp
