// MS-CHAPv2 (RFC 2759 8) and its MPPE keys (RFC 3079 3), the computations EAP-MSCHAPv2
// is made of. MD4, DES and SHA-1 come from lib/crypto (OpenSSL; MD4 and DES through
// its legacy provider). Names follow the RFCs' pseudo-code.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"

#include <array>
#include <string>
#include <string_view>

namespace ikekit::eap {

inline constexpr size_t kNtHashSize = 16;
inline constexpr size_t kAuthenticatorResponseSize = 42; // "S=" + 40 hex digits
inline constexpr size_t kMskSize = 64;                   // RFC 3748 7.10

// The password as MS-CHAPv2 hashes it: UTF-16LE of the UTF-8 text (RFC 2759 8.3 says
// "Unicode"); invalid UTF-8 is an error naming the field.
Result<SecretBytes> password_to_unicode(ByteView utf8_password);

// RFC 2759 8.3 NtPasswordHash = MD4(unicode password); 8.4 HashNtPasswordHash = MD4(hash).
Result<SecretBytes> nt_password_hash(ByteView unicode_password);
Result<SecretBytes> hash_nt_password_hash(ByteView password_hash);

// RFC 2759 8.2: SHA-1(PeerChallenge | AuthenticatorChallenge | UserName)[0..8).
// UserName is the name without a "DOMAIN\" prefix (8.2, and what strongSwan hashes).
std::string_view user_name_for_hash(std::string_view name);
Result<std::array<uint8_t, 8>> challenge_hash(ByteView peer_challenge,
                                              ByteView authenticator_challenge,
                                              std::string_view user_name);

// RFC 2759 8.5: three DES encryptions of the challenge under the 21-byte zero-padded
// hash cut into 7-byte keys (8.6 expands each to 8 bytes).
Result<std::array<uint8_t, 24>> challenge_response(ByteView challenge8, ByteView password_hash);

// RFC 2759 8.1 GenerateNTResponse.
Result<std::array<uint8_t, 24>> generate_nt_response(ByteView authenticator_challenge,
                                                     ByteView peer_challenge,
                                                     std::string_view user_name,
                                                     ByteView unicode_password);

// RFC 2759 8.7 GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits.
Result<std::string> generate_authenticator_response(ByteView password_hash_hash,
                                                    ByteView nt_response, ByteView peer_challenge,
                                                    ByteView authenticator_challenge,
                                                    std::string_view user_name);
// RFC 2759 8.8 CheckAuthenticatorResponse: constant-time, case-insensitive hex.
bool check_authenticator_response(std::string_view expected, std::string_view received);

// RFC 3079 3.4 GetMasterKey (16 bytes) and 3.4 GetAsymmetricStartKey (16 bytes).
Result<SecretBytes> get_master_key(ByteView password_hash_hash, ByteView nt_response);
Result<SecretBytes> get_asymmetric_start_key(ByteView master_key, bool is_send, bool is_server);

// The EAP-MSCHAPv2 MSK (64 bytes), the same on both sides:
//   MasterReceiveKey | MasterSendKey | 32 zero bytes
// where the keys are the server's (RFC 3079 3.4 with IsServer = TRUE: receive uses
// Magic2, send Magic3); strongSwan's eap_mschapv2 builds it so, and a RADIUS server's
// MS-MPPE-Recv-Key | MS-MPPE-Send-Key (RFC 2548 2.4.2, 2.4.3) is the same 32 bytes
// (tests/interop/freeradius_eap.sh checks it against FreeRADIUS). Under an HMAC PRF the
// zero padding changes nothing (HMAC pads short keys with zeros); under AES-XCBC it does.
Result<SecretBytes> mschapv2_msk(ByteView password_hash_hash, ByteView nt_response);

} // namespace ikekit::eap
