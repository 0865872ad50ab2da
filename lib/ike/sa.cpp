// What an IKE SA keeps, and when it lets go of it: the IKE_SA_INIT messages and SK_p
// keys serve only AUTH (RFC 7296 2.15); a dead SA serves only retransmissions of the last
// request it answered (RFC 7296 2.1). Memory an unauthenticated or departed peer caused
// us to hold is given back at once, not after the retransmission span.
#include "ike/sa.hpp"

namespace ikekit::ike {

namespace {
// clear() keeps the capacity; swapping with an empty value gives it back.
template <typename T> void release(T& v) { T().swap(v); }
} // namespace

bool install_ike_keys(IkeSa& sa, IkeKeys keys) {
  const SecretBytes& e_out = sa.initiator ? keys.sk_ei : keys.sk_er;
  const SecretBytes& a_out = sa.initiator ? keys.sk_ai : keys.sk_ar;
  const SecretBytes& e_in = sa.initiator ? keys.sk_er : keys.sk_ei;
  const SecretBytes& a_in = sa.initiator ? keys.sk_ar : keys.sk_ai;
  // Per call: a million idle IKE SAs hold their keys, not OpenSSL contexts.
  auto out = crypto::SkCrypter::create(*sa.alg.encr, e_out.reveal(), sa.alg.integ, a_out.reveal(),
                                       crypto::CipherUse::encrypt, crypto::Keying::per_call);
  auto in = crypto::SkCrypter::create(*sa.alg.encr, e_in.reveal(), sa.alg.integ, a_in.reveal(),
                                      crypto::CipherUse::decrypt, crypto::Keying::per_call);
  if (!out || !in) return false;
  sa.crypt_out = std::move(*out);
  sa.crypt_in = std::move(*in);
  sa.sk_d = std::move(keys.sk_d);
  if (sa.hs) {
    sa.hs->sk_pi = std::move(keys.sk_pi);
    sa.hs->sk_pr = std::move(keys.sk_pr);
  }
  return true;
}

void release_after_auth(IkeSa& sa) {
  sa.hs.reset();
  sa.eap.reset(); // the EAP run and its MSK (RFC 7296 2.16: used for AUTH only)
}

void release_after_death(IkeSa& sa) {
  release_after_auth(sa);
  if (!sa.have_last_response) release(sa.last_response);
  sa.sk_d = SecretBytes();
  sa.crypt_in.reset();
  sa.crypt_out.reset();
  sa.out.reset();
  release(sa.tasks);
  sa.pending.reset();
  sa.peer_ike_rekey.reset();
  sa.reassembly[0].reset();
  sa.reassembly[1].reset();
  release(sa.children);
}

} // namespace ikekit::ike
