// The IKEv2 key schedule, written once (DESIGN 3, "Crypto"):
//   RFC 7296 2.14  SKEYSEED = prf(Ni | Nr, g^ir)
//                  {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//                      = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
//   RFC 7296 2.18  rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
//   RFC 7296 2.17  Child SA: KEYMAT = prf+(SK_d, Ni | Nr) or, with PFS,
//                  prf+(SK_d, g^ir (new) | Ni | Nr)
// Key lengths come from the negotiated transforms (crypto/suite): SK_e and a Child SA's
// encryption keys are key || salt (AEAD, RFC 5282 7 / RFC 4106 8.1) or key || nonce
// (AES-CTR, RFC 5930 / RFC 3686 5.1); with an AEAD there are no SK_a / integ keys.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/suite.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace ikekit::ike {

// The negotiated IKE SA transforms; integ is null for an AEAD encr.
struct IkeTransforms {
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  const crypto::TransformInfo* prf = nullptr;
};

struct IkeKeys {
  SecretBytes skeyseed;
  SecretBytes sk_d;
  SecretBytes sk_ai, sk_ar; // empty with an AEAD
  SecretBytes sk_ei, sk_er; // key || salt for AEAD, key || nonce for AES-CTR
  SecretBytes sk_pi, sk_pr;
};

// RFC 7296 2.10: "Nonces ... MUST be at least 128 bits in size, and MUST be at least half
// the key size of the negotiated pseudorandom function (PRF)."
size_t min_nonce_size(const crypto::TransformInfo& prf);
// Why `nonce` is too short for `prf` ("nonce of 16 bytes; RFC 7296 2.10 needs at least 32
// with prfsha512"), or nullopt when it is long enough.
std::optional<std::string> nonce_too_short(ByteView nonce, const crypto::TransformInfo& prf);

// SPIs as the 8 header bytes, in network order (SPIi | SPIr of RFC 7296 2.14).
// `g_ir` is the shared secret as the KE transform produces it (MODP: padded to the
// modulus length; ECP: the x coordinate, RFC 5903 7; X25519/X448: the 32/56 bytes).
Result<IkeKeys> derive_ike_keys(const IkeTransforms& t, ByteView ni, ByteView nr, ByteView g_ir,
                                uint64_t spi_i, uint64_t spi_r);

// Same as above from a known SKEYSEED (e.g. charon's logged SKEYSEED in a capture test).
Result<IkeKeys> derive_ike_keys_from_skeyseed(const IkeTransforms& t, SecretBytes skeyseed,
                                              ByteView ni, ByteView nr, uint64_t spi_i,
                                              uint64_t spi_r);

// RFC 7296 2.18: the new IKE SA's keys. SKEYSEED uses the OLD IKE SA's prf and SK_d
// ("it is the old IKE SA's PRF that is used to generate SKEYSEED"); prf+ uses the new
// SA's prf. ni/nr are the CREATE_CHILD_SA nonces, spi_i/spi_r the new SA's SPIs.
Result<IkeKeys> derive_rekeyed_ike_keys(const crypto::TransformInfo& old_prf,
                                        const SecretBytes& old_sk_d, const IkeTransforms& t,
                                        ByteView g_ir_new, ByteView ni, ByteView nr, uint64_t spi_i,
                                        uint64_t spi_r);

// The negotiated Child SA (ESP) transforms; integ is null for an AEAD encr.
struct ChildTransforms {
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
};

// RFC 7296 2.17: "keys are taken from KEYMAT in the following order: all keys for SAs
// carrying data from the initiator to the responder are taken before SAs going from the
// responder to the initiator"; within one direction encryption before integrity.
struct ChildKeys {
  SecretBytes encr_i, integ_i; // initiator -> responder
  SecretBytes encr_r, integ_r; // responder -> initiator
};

// `g_ir_new` empty: no PFS. ni/nr: the nonces of the IKE_SA_INIT exchange for the first
// Child SA, else of the CREATE_CHILD_SA exchange.
Result<ChildKeys> derive_child_keys(const crypto::TransformInfo& prf, const SecretBytes& sk_d,
                                    const ChildTransforms& t, ByteView g_ir_new, ByteView ni,
                                    ByteView nr);

// Lengths of one direction's keys (encr key + salt, integ key).
size_t encr_keymat_len(const crypto::TransformInfo& encr);
size_t integ_keymat_len(const crypto::TransformInfo* integ);

} // namespace ikekit::ike
