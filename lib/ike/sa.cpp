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

bool key_sk_crypters(IkeSa& sa, const crypto::TransformInfo& encr,
                     const crypto::TransformInfo* integ) {
  const IkeKeys& k = sa.keys;
  const SecretBytes& e_out = sa.initiator ? k.sk_ei : k.sk_er;
  const SecretBytes& a_out = sa.initiator ? k.sk_ai : k.sk_ar;
  const SecretBytes& e_in = sa.initiator ? k.sk_er : k.sk_ei;
  const SecretBytes& a_in = sa.initiator ? k.sk_ar : k.sk_ai;
  // Per call: a million idle IKE SAs hold their keys, not OpenSSL contexts.
  auto out = crypto::SkCrypter::create(encr, e_out.reveal(), integ, a_out.reveal(),
                                       crypto::CipherUse::encrypt, crypto::Keying::per_call);
  auto in = crypto::SkCrypter::create(encr, e_in.reveal(), integ, a_in.reveal(),
                                      crypto::CipherUse::decrypt, crypto::Keying::per_call);
  if (!out || !in) return false;
  sa.crypt_out = std::move(*out);
  sa.crypt_in = std::move(*in);
  return true;
}

void release_after_auth(IkeSa& sa) {
  release(sa.init_request);
  release(sa.init_response);
  release(sa.cookie);
  release(sa.peer_certreqs);
  sa.kex.reset();
  sa.keys.skeyseed = SecretBytes();
  sa.keys.sk_pi = SecretBytes();
  sa.keys.sk_pr = SecretBytes();
  // SK_e and SK_a live on in crypt_out/crypt_in, which were keyed from these copies (the
  // key log had them at derivation).
  if (sa.crypt_out && sa.crypt_in) {
    sa.keys.sk_ei = sa.keys.sk_er = SecretBytes();
    sa.keys.sk_ai = sa.keys.sk_ar = SecretBytes();
  }
  sa.eap.reset(); // the EAP run and its MSK (RFC 7296 2.16: used for AUTH only)
}

void release_after_death(IkeSa& sa) {
  release_after_auth(sa);
  if (!sa.have_last_response) release(sa.last_response);
  sa.keys = IkeKeys{};
  sa.crypt_in.reset();
  sa.crypt_out.reset();
  release(sa.ni);
  release(sa.nr);
  sa.peer_sig_hashes.reset();
  sa.out.reset();
  release(sa.tasks);
  sa.pending.reset();
  sa.peer_ike_rekey.reset();
  sa.reassembly[0].reset();
  sa.reassembly[1].reset();
  release(sa.first_ts_i);
  release(sa.first_ts_r);
  release(sa.children);
}

} // namespace ikekit::ike
