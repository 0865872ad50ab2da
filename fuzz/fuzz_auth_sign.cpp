// Fuzz target for AUTH signatures (lib/crypto/sign): what a peer's AUTH payload and
// SIGNATURE_HASH_ALGORITHMS notify reach. The keys are the committed test PKI's end
// entities (tests/data/pki), as a peer's certificate would hand them over.
//
// Input:
//   mode:u8    bits 0-2: key (ee-rsa, ee-p256, ee-p384, ee-p521, ee-ed25519, modulo 5);
//              bits 3-4: what to fuzz:
//     0  verify_auth(key, method, auth_data) over kSignedOctets:
//          method:u8 auth_data[rest]    (RFC 7296 3.8 classic methods: raw RSA, r||s
//                                        ECDSA (RFC 4754 7); method 14: RFC 7427 3)
//     1  parse_algorithm_identifier(rest)   (RFC 7427 3 AlgorithmIdentifier)
//     2  parse_sig_hash_list(rest), then default_auth_scheme for every key type
//     3  PublicKey::from_spki_der(len:u16 der[len]), then verify_auth with that key:
//          method:u8 auth_data[rest]
// Invariants: nothing crashes; a signature that verifies names a scheme of the method
// it came with that the key's type allows; our own AlgorithmIdentifier encodings parse
// back to their scheme.
#include "crypto/sign.hpp"
#include "fuzz_input.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

using namespace ikekit;
using namespace ikekit::crypto;
using ikekit::fuzz::Input;

namespace {

// What the seeds in fuzz/corpus/fuzz_auth_sign/ are signed over (fuzz/make_seeds.cpp);
// in IKE, InitiatorSignedOctets / ResponderSignedOctets (RFC 7296 2.15).
constexpr std::string_view kSignedOctets = "ikekit fuzz_auth_sign: the octets every seed signs";

std::vector<PublicKey> load_keys() {
  std::vector<PublicKey> keys;
  for (const char* f :
       {"ee-rsa.key", "ee-p256.key", "ee-p384.key", "ee-p521.key", "ee-ed25519.key"}) {
    auto k = PrivateKey::load_pem(fuzz::pki_file(f));
    IKEKIT_FUZZ_CHECK(k.has_value());
    keys.push_back(k->public_key());
  }
  return keys;
}

const std::vector<PublicKey>& keys() {
  static const std::vector<PublicKey> k = load_keys();
  return k;
}

void verify(const PublicKey& key, Input& in) {
  uint8_t method = in.u8();
  ByteView auth_data = in.rest();
  auto scheme = verify_auth(key, method, auth_data, as_bytes(kSignedOctets));
  if (!scheme) return;
  IKEKIT_FUZZ_CHECK(auth_method_of(*scheme) == method);
  IKEKIT_FUZZ_CHECK(scheme_allowed_for(*scheme, key.type()));
  if (method == auth_method::digital_signature) {
    // RFC 7427 3: the AlgorithmIdentifier that named the scheme is in the data.
    IKEKIT_FUZZ_CHECK(auth_data.size() > 1 + size_t(auth_data[0]));
    auto named = parse_algorithm_identifier(auth_data.subspan(1, auth_data[0]));
    IKEKIT_FUZZ_CHECK(named && *named == *scheme);
  }
}

void algorithm_identifier(ByteView der) {
  auto scheme = parse_algorithm_identifier(der);
  if (!scheme) return;
  IKEKIT_FUZZ_CHECK(auth_method_of(*scheme) == auth_method::digital_signature);
  // Our own encoding of what we recognised parses back to the same scheme.
  auto again = parse_algorithm_identifier(crypto::algorithm_identifier(*scheme));
  IKEKIT_FUZZ_CHECK(again && *again == *scheme);
  (void)auth_scheme_name(*scheme);
  (void)sig_hash_of(*scheme);
}

void sig_hash_list(ByteView notify_data) {
  auto list = parse_sig_hash_list(notify_data);
  if (!list) return;
  IKEKIT_FUZZ_CHECK(list->size() * 2 == notify_data.size());
  std::optional<std::vector<uint16_t>> peer = *list;
  for (KeyType t : {KeyType::rsa, KeyType::ecdsa_p256, KeyType::ecdsa_p384, KeyType::ecdsa_p521,
                    KeyType::ed25519})
    for (bool pss : {false, true}) {
      auto s = default_auth_scheme(t, peer, pss);
      if (!s) continue;
      IKEKIT_FUZZ_CHECK(scheme_allowed_for(*s, t));
      // Method 14 only with a hash the peer announced (RFC 7427 4).
      if (auto h = sig_hash_of(*s))
        IKEKIT_FUZZ_CHECK(std::find(list->begin(), list->end(), uint16_t(*h)) != list->end());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& k = keys();
  Input in(data, size);
  uint8_t mode = in.u8();
  switch ((mode >> 3) & 3) {
  case 0:
    verify(k[(mode & 7) % k.size()], in);
    break;
  case 1:
    algorithm_identifier(in.rest());
    break;
  case 2:
    sig_hash_list(in.rest());
    break;
  case 3: {
    auto key = PublicKey::from_spki_der(in.chunk16());
    if (!key) break;
    (void)key->bits();
    (void)key->spki_der();
    (void)key->spki_sha1();
    (void)key->public_key_sha1();
    for (const auto& ours : k)
      (void)key->equals(ours);
    verify(*key, in);
    break;
  }
  }
  return 0;
}
