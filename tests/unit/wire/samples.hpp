// Sample IKE messages shared by the wire tests and the fuzz corpus writer.
#pragma once

#include "base/bytes.hpp"
#include "base/hex.hpp"
#include "wire/any_payload.hpp"
#include "wire/message.hpp"

#include <array>
#include <cstdint>

namespace wire_samples {

using namespace ikekit;
using namespace ikekit::wire;

// An IKE_SA_INIT request laid out the way strongSwan 5.9 sends one (written by hand
// byte by byte, not by our encoder): one IKE proposal aes128-sha256-prfsha256-x25519,
// KE (Curve25519), Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
// N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS), N(REDIRECT_SUPPORTED)
// and strongSwan's Vendor ID (MD5 of "strongSwan").
inline Bytes strongswan_ike_sa_init() {
  const char* hex =
      // IKE header: SPIi, SPIr=0, next SA(33), version 2.0, IKE_SA_INIT(34), flags I, msgid 0,
      // length 260
      "6a1f3c4b5d6e7f80 0000000000000000 21 20 22 08 00000000 00000104"
      // SA: next KE(34), length 48
      "22 00 0030"
      //   proposal 1 (last), length 44, #1, IKE, SPI size 0, 4 transforms
      "00 00 002c 01 01 00 04"
      //     ENCR_AES_CBC with Key Length 128 (attribute TV 0x800e = 128)
      "03 00 000c 01 00 000c 800e 0080"
      //     INTEG AUTH_HMAC_SHA2_256_128
      "03 00 0008 03 00 000c"
      //     PRF PRF_HMAC_SHA2_256
      "03 00 0008 02 00 0005"
      //     KE Curve25519 (last transform)
      "00 00 0008 04 00 001f"
      // KE: next Nonce(40), length 40, group 31, reserved, 32 bytes public value
      "28 00 0028 001f 0000"
      "d6a1b4e5f8c29103 7f2e8d4c6b5a3928 1706f5e4d3c2b1a0 99887766554433ff"
      // Nonce: next N(41), length 36, 32 bytes
      "29 00 0024"
      "0102030405060708 090a0b0c0d0e0f10 1112131415161718 191a1b1c1d1e1f20"
      // N(NAT_DETECTION_SOURCE_IP): next N, length 28, proto 0, spi size 0, type 16388, SHA-1
      "29 00 001c 00 00 4004 a1a2a3a4a5a6a7a8a9aab0b1b2b3b4b5b6b7b8b9"
      // N(NAT_DETECTION_DESTINATION_IP): type 16389
      "29 00 001c 00 00 4005 c1c2c3c4c5c6c7c8c9cad0d1d2d3d4d5d6d7d8d9"
      // N(IKEV2_FRAGMENTATION_SUPPORTED): type 16430, no data
      "29 00 0008 00 00 402e"
      // N(SIGNATURE_HASH_ALGORITHMS): type 16431, SHA2-256, SHA2-384, SHA2-512, Identity
      "29 00 0010 00 00 402f 0002 0003 0004 0005"
      // N(REDIRECT_SUPPORTED): next V(43), type 16406
      "2b 00 0008 00 00 4016"
      // V: last payload, length 20, strongSwan
      "00 00 0014 882fe56d6fd20dbc2251613b2ebe5beb";
  return from_hex(hex, "sample").value();
}

inline constexpr std::array<uint8_t, 32> kKeData = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                    12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                    23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
inline constexpr std::array<uint8_t, 20> kSha1 = {0xde, 0xad, 0xbe, 0xef, 1,  2,  3,  4,  5,  6,
                                                  7,    8,    9,    10,   11, 12, 13, 14, 15, 16};
inline constexpr std::array<uint8_t, 4> kSpi4 = {0xc0, 0x01, 0xd0, 0x0d};
inline constexpr std::array<uint8_t, 8> kSpis = {0xc0, 0x01, 0xd0, 0x0d, 0xc0, 0x01, 0xd0, 0x0e};
inline constexpr std::array<uint8_t, 4> kV4Start = {10, 0, 0, 0};
inline constexpr std::array<uint8_t, 4> kV4End = {10, 0, 0, 255};
inline constexpr std::array<uint8_t, 16> kV6Start = {0x20, 0x01, 0x0d, 0xb8};
inline constexpr std::array<uint8_t, 16> kV6End = {0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,
                                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr std::array<uint8_t, 24> kSkBody = {
    0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

inline SaPayload sample_sa() {
  SaPayload sa;
  Proposal p1;
  p1.number = 1;
  p1.protocol = ProtocolId::esp;
  p1.spi = kSpi4;
  p1.transforms.push_back(
      Transform{TransformType::encr, uint16_t(EncrId::encr_aes_gcm_16), {{14, true, 256, {}}}});
  p1.transforms.push_back(Transform{TransformType::esn, uint16_t(EsnId::no_esn), {}});
  Proposal p2;
  p2.number = 2;
  p2.protocol = ProtocolId::esp;
  p2.spi = kSpi4;
  p2.transforms.push_back(
      Transform{TransformType::encr, uint16_t(EncrId::encr_aes_cbc), {{14, true, 128, {}}}});
  p2.transforms.push_back(
      Transform{TransformType::integ, uint16_t(IntegId::auth_hmac_sha2_256_128), {}});
  p2.transforms.push_back(Transform{TransformType::ke, uint16_t(KeGroup::ecp_256), {}});
  p2.transforms.push_back(Transform{TransformType::esn, uint16_t(EsnId::esn), {}});
  sa.proposals = {p1, p2};
  return sa;
}

inline TsPayload sample_ts() {
  TsPayload ts;
  ts.selectors.push_back(
      TrafficSelector{TsType::ts_ipv4_addr_range, 6, 0, 65535, kV4Start, kV4End, {}});
  ts.selectors.push_back(
      TrafficSelector{TsType::ts_ipv6_addr_range, 0, 500, 500, kV6Start, kV6End, {}});
  return ts;
}

inline CpPayload sample_cp() {
  CpPayload cp;
  cp.type = CfgType::cfg_reply;
  cp.attributes.push_back({CfgAttr::internal_ip4_address, kV4Start});
  cp.attributes.push_back({CfgAttr::internal_ip4_dns, kV4End});
  cp.attributes.push_back({CfgAttr::internal_ip6_address, {}});
  return cp;
}

// A message whose clear chain holds every payload type the codec parses, ending with an
// SK payload (not a valid exchange: it exercises the parsers, not the rules).
//   HDR, SA, KE, IDi, IDr, CERT, CERTREQ, AUTH, Nonce, N, D, V, TSi, TSr, CP, EAP, SK
inline Bytes every_payload_message() {
  Bytes out(2048);
  IkeHeader h;
  h.spi_i = 0x0102030405060708;
  h.spi_r = 0x1112131415161718;
  h.exchange_type = ExchangeType::informational;
  h.flags = kFlagInitiator;
  h.message_id = 7;
  MessageWriter w(out, h);
  w.add(PayloadType::sa, sample_sa());
  w.add(PayloadType::ke, KePayload{KeGroup::curve25519, kKeData});
  w.add(PayloadType::idi, IdPayload{IdType::id_fqdn, as_bytes("moon.strongswan.org")});
  w.add(PayloadType::idr, IdPayload{IdType::id_ipv4_addr, kV4Start});
  w.add(PayloadType::cert, CertPayload{CertEncoding::x509_signature, kKeData});
  w.add(PayloadType::certreq, CertReqPayload{CertEncoding::x509_signature, kSha1});
  w.add(PayloadType::auth, AuthPayload{AuthMethod::shared_key_message_integrity_code, kKeData});
  w.add(PayloadType::nonce, NoncePayload{kKeData});
  w.add(PayloadType::n, NotifyPayload{ProtocolId::esp, kSpi4, NotifyType::rekey_sa, {}});
  w.add(PayloadType::d, DeletePayload{ProtocolId::esp, 4, 2, kSpis});
  w.add(PayloadType::v, VendorIdPayload{kSha1});
  w.add(PayloadType::tsi, sample_ts());
  w.add(PayloadType::tsr, sample_ts());
  w.add(PayloadType::cp, sample_cp());
  w.add(PayloadType::eap, EapPayload{EapCode::response, 3, EapType::identity, as_bytes("carol")});
  add(w, SkPayload{PayloadType::idi, kSkBody});
  auto n = w.finish();
  out.resize(n.value());
  return out;
}

// HDR(IKE_AUTH), SK {IDi ...}: what an encrypted exchange looks like outside.
inline Bytes ike_auth_sk_message() {
  Bytes out(256);
  IkeHeader h;
  h.spi_i = 0x0102030405060708;
  h.spi_r = 0x1112131415161718;
  h.exchange_type = ExchangeType::ike_auth;
  h.flags = kFlagInitiator;
  h.message_id = 1;
  MessageWriter w(out, h);
  add(w, SkPayload{PayloadType::idi, kSkBody});
  out.resize(w.finish().value());
  return out;
}

// HDR(IKE_AUTH), SKF(2/3) as RFC 7383 sends fragments after the first.
inline Bytes ike_auth_skf_message() {
  Bytes out(256);
  IkeHeader h;
  h.spi_i = 0x0102030405060708;
  h.spi_r = 0x1112131415161718;
  h.exchange_type = ExchangeType::ike_auth;
  h.flags = kFlagResponse;
  h.message_id = 1;
  MessageWriter w(out, h);
  add(w, SkfPayload{2, 3, PayloadType::none, kSkBody});
  out.resize(w.finish().value());
  return out;
}

} // namespace wire_samples
