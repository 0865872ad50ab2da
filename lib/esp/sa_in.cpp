// EspSaIn: inbound ESP processing (RFC 4303 3.4).
#include "esp/sa.hpp"

namespace ikekit::esp {

std::string_view open_status_name(OpenStatus s) {
  switch (s) {
  case OpenStatus::ok:
    return "ok";
  case OpenStatus::malformed:
    return "malformed";
  case OpenStatus::unknown_spi:
    return "unknown_spi";
  case OpenStatus::replay:
    return "replay";
  case OpenStatus::too_old:
    return "too_old";
  case OpenStatus::bad_icv:
    return "bad_icv";
  case OpenStatus::bad_padding:
    return "bad_padding";
  case OpenStatus::dummy:
    return "dummy";
  case OpenStatus::crypto_error:
    return "crypto_error";
  }
  return "unknown";
}

Result<EspSaIn> EspSaIn::create(const SaParams& params) {
  auto w = ReplayWindow::create(params.replay_window);
  if (!w) return std::move(w).error().within("esp");
  auto c = SaCrypto::create(params.encr, params.encr_key, params.integ, params.integ_key);
  if (!c) return std::move(c).error().within("esp");
  EspSaIn sa(std::move(w).value());
  sa.crypto_ = std::move(c).value();
  sa.overhead_ = esp_overhead(*params.encr, params.integ);
  sa.spi_ = params.spi;
  sa.esn_ = params.esn;
  return sa;
}

Opened EspSaIn::drop(OpenStatus s) {
  switch (s) {
  case OpenStatus::ok:
    break;
  case OpenStatus::malformed:
    ++stats_.malformed;
    break;
  case OpenStatus::unknown_spi:
    ++stats_.unknown_spi;
    break;
  case OpenStatus::replay:
    ++stats_.replay;
    break;
  case OpenStatus::too_old:
    ++stats_.too_old;
    break;
  case OpenStatus::bad_icv:
    ++stats_.bad_icv;
    break;
  case OpenStatus::bad_padding:
    ++stats_.bad_padding;
    break;
  case OpenStatus::dummy:
    ++stats_.dummy;
    break;
  case OpenStatus::crypto_error:
    ++stats_.crypto_error;
    break;
  }
  Opened o;
  o.status = s;
  return o;
}

Opened EspSaIn::open_in_place(MutBytes packet) {
  const Overhead& o = overhead_;
  // Header, IV, at least Pad Length + Next Header, ICV.
  if (packet.size() < o.header + kEspTrailerLen + o.icv) return drop(OpenStatus::malformed);
  const size_t iv_len = o.header - kEspHeaderLen;
  const size_t text_len = packet.size() - o.header - o.icv;
  // A block cipher can only decrypt whole blocks (RFC 4303 2.4). The 4-byte alignment
  // the sender must keep is not enforced: nothing on this side depends on it.
  if (o.align > 4 && text_len % o.align != 0) return drop(OpenStatus::malformed);

  EspHeader h;
  read_esp_header(packet, h);
  if (h.spi != spi_) return drop(OpenStatus::unknown_spi);

  // RFC 4303 3.4.3: the replay check comes before the ICV check, so duplicates are
  // rejected cheaply; with ESN the high half is inferred from the window (A2.2).
  uint64_t seq = h.seq_lo;
  if (esn_) {
    auto full = window_.infer_esn(h.seq_lo);
    if (!full) return drop(OpenStatus::too_old);
    seq = *full;
  }
  switch (window_.check(seq)) {
  case ReplayCheck::ok:
    break;
  case ReplayCheck::replay:
    return drop(OpenStatus::replay);
  case ReplayCheck::too_old:
    return drop(OpenStatus::too_old);
  }

  switch (crypto_.open(packet, iv_len, o.icv, esn_, uint32_t(seq >> 32))) {
  case CryptoStatus::ok:
    break;
  case CryptoStatus::bad_icv:
    return drop(OpenStatus::bad_icv);
  case CryptoStatus::error:
    return drop(OpenStatus::crypto_error);
  }
  // Authentic: only now may the window move (RFC 4303 3.4.3).
  window_.commit(seq);

  // RFC 4303 2.4, 2.5, 2.6: Pad Length and Next Header end the plaintext; the padding
  // must be 1, 2, 3, ... (the receiver SHOULD inspect it).
  uint8_t* text = packet.data() + o.header;
  const size_t pad = text[text_len - 2];
  const uint8_t next_header = text[text_len - 1];
  if (pad + kEspTrailerLen > text_len) return drop(OpenStatus::bad_padding);
  const size_t payload_len = text_len - kEspTrailerLen - pad;
  for (size_t i = 0; i < pad; ++i)
    if (text[payload_len + i] != uint8_t(i + 1)) return drop(OpenStatus::bad_padding);
  // RFC 4303 2.6: dummy packets (Next Header 59) are discarded after authentication.
  if (next_header == kNextHeaderNone) return drop(OpenStatus::dummy);

  ++stats_.packets;
  stats_.bytes += payload_len;
  Opened out;
  out.payload = MutBytes(text, payload_len);
  out.next_header = next_header;
  out.seq = seq;
  return out;
}

} // namespace ikekit::esp
