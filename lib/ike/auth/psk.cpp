// Authentication with a pre-shared key, RFC 7296 2.15.
//
//   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
//   MACedIDForI           = prf(SK_pi, RestOfInitIDPayload)
//   ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
//   MACedIDForR           = prf(SK_pr, RestOfRespIDPayload)
//
//   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <*SignedOctets>)
//
// RestOfXIDPayload is the ID payload body: ID Type, RESERVED and the identification data.
#include "crypto/prf.hpp"
#include "ike/engine_impl.hpp"

#include <utility>

namespace ikekit::ike {

namespace {

constexpr std::string_view kKeyPad = "Key Pad for IKEv2";

// RealMessageX and NonceYData of <*SignedOctets>: X's IKE_SA_INIT message, the other's nonce.
std::pair<ByteView, ByteView> signed_message_and_nonce(const IkeSa& sa, bool initiator_side) {
  return initiator_side ? std::pair<ByteView, ByteView>(sa.hs->init_request, sa.hs->nr)
                        : std::pair<ByteView, ByteView>(sa.hs->init_response, sa.hs->ni);
}

Result<SecretBytes> maced_id(const IkeSa& sa, bool initiator_side, ByteView id_body) {
  const SecretBytes& sk_p = initiator_side ? sa.hs->sk_pi : sa.hs->sk_pr;
  return crypto::prf(*sa.alg.prf, sk_p.reveal(), {id_body});
}

} // namespace

Result<Bytes> Engine::Impl::signed_octets(const IkeSa& sa, bool initiator_side, ByteView id_body) {
  auto maced = maced_id(sa, initiator_side, id_body);
  if (!maced) return maced.error();
  auto [message, nonce] = signed_message_and_nonce(sa, initiator_side);
  Bytes out(message.begin(), message.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), maced->reveal().begin(), maced->reveal().end());
  return out;
}

Result<crypto::Prf*> Engine::Impl::psk_pad(const IkeSa& sa) {
  std::erase_if(psk_pads, [](const PskPad& p) { return p.peer.expired(); });
  for (PskPad& p : psk_pads)
    if (p.prf == sa.alg.prf && p.peer.lock() == sa.peer) return &p.keyed;
  auto pad = crypto::prf(*sa.alg.prf, sa.peer->psk.reveal(), {as_bytes(kKeyPad)});
  if (!pad) return pad.error();
  auto keyed = crypto::Prf::create(*sa.alg.prf, pad->reveal());
  if (!keyed) return keyed.error();
  if (psk_pads.size() >= kPskPadSlots) psk_pads.erase(psk_pads.begin());
  psk_pads.push_back(PskPad{sa.peer, sa.alg.prf, std::move(*keyed)});
  return &psk_pads.back().keyed;
}

// As shared_key_auth_data with the PSK, on the connection's prf keyed with its key pad.
Result<Bytes> Engine::Impl::psk_auth_data(const IkeSa& sa, bool initiator_side, ByteView id_body) {
  auto maced = maced_id(sa, initiator_side, id_body);
  if (!maced) return maced.error();
  auto keyed = psk_pad(sa);
  if (!keyed) return keyed.error();
  auto [message, nonce] = signed_message_and_nonce(sa, initiator_side);
  Bytes auth((*keyed)->out_len());
  auto ok = (*keyed)->compute({message, nonce, maced->reveal()}, auth);
  if (!ok) return ok.error();
  return auth;
}

Result<Bytes> Engine::Impl::shared_key_auth_data(const IkeSa& sa, bool initiator_side,
                                                 ByteView id_body, ByteView key) {
  auto maced = maced_id(sa, initiator_side, id_body);
  if (!maced) return maced.error();
  auto pad = crypto::prf(*sa.alg.prf, key, {as_bytes(kKeyPad)});
  if (!pad) return pad.error();
  // <*SignedOctets> in its three parts: the prf reads them in turn, no copy of the message.
  auto [message, nonce] = signed_message_and_nonce(sa, initiator_side);
  auto auth = crypto::prf(*sa.alg.prf, pad->reveal(), {message, nonce, maced->reveal()});
  if (!auth) return auth.error();
  return Bytes(auth->reveal().begin(), auth->reveal().end());
}

} // namespace ikekit::ike
