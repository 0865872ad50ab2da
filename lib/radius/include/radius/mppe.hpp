// MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 2.4.2, 2.4.3): the key hidden with the
// shared secret, the Request Authenticator and a per-attribute Salt.
//
//   value  = Salt (2 bytes, high bit set) | C
//   P      = Key-Length (1) | Key | zero padding to a multiple of 16
//   b(1)   = MD5(S | R | A)     c(1) = p(1) xor b(1)     (R: Request Authenticator, A: Salt)
//   b(i)   = MD5(S | c(i-1))    c(i) = p(i) xor b(i)
//
// The EAP MSK of a RADIUS server is MS-MPPE-Recv-Key | MS-MPPE-Send-Key (RFC 3579 2.6,
// RFC 5247; strongSwan's eap-radius builds it so), padded here to 64 bytes like the MSK
// an EAP-MSCHAPv2 peer computes.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret_bytes.hpp"

namespace ikekit::radius {

inline constexpr size_t kMskSize = 64;

Result<SecretBytes> decrypt_mppe_key(ByteView value, ByteView secret,
                                     ByteView request_authenticator);
// The inverse, for a server and for tests: writes Salt | C into `out`, returns its size.
Result<size_t> encrypt_mppe_key(ByteView key, uint16_t salt, ByteView secret,
                                ByteView request_authenticator, MutBytes out);

// Recv | Send, zero-padded to 64 bytes.
SecretBytes msk_from_mppe(const SecretBytes& recv_key, const SecretBytes& send_key);

} // namespace ikekit::radius
