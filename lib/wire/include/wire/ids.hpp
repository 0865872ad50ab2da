// IANA numbers and their names, in ONE place (IANA "Internet Key Exchange Version 2
// (IKEv2) Parameters" registry, RFC 7296 3.x, RFC 3748 for EAP).
//
// Enum values are the IANA names in snake_case; the *_name() functions return the IANA
// spelling ("NAT_DETECTION_SOURCE_IP", "ENCR_AES_GCM_16", "MODP_2048", "Curve25519"),
// which is also the name every JSON document uses. All *_name() functions return ""
// for a value that has no name here (unassigned, reserved or private use); callers
// print the number instead. *_from_name() is the exact inverse (case-sensitive).
//
// The enums are open: any wire value can be held (static_cast), named or not.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ikekit::wire {

// IKEv2 Exchange Types (RFC 7296 3.1, RFC 5723, RFC 9242, RFC 9370).
enum class ExchangeType : uint8_t {
  ike_sa_init = 34,
  ike_auth = 35,
  create_child_sa = 36,
  informational = 37,
  ike_session_resume = 38,
  gsa_auth = 39,
  gsa_registration = 40,
  gsa_rekey = 41,
  ike_intermediate = 43,
  ike_followup_ke = 44,
};
std::string_view exchange_type_name(ExchangeType v);                        // "" if unassigned
std::optional<ExchangeType> exchange_type_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Security Protocol Identifiers (RFC 7296 3.3.1).
enum class ProtocolId : uint8_t {
  ike = 1,
  ah = 2,
  esp = 3,
  fc_esp_header = 4,
  fc_ct_authentication = 5,
  gike_update = 6,
};
std::string_view protocol_id_name(ProtocolId v);                        // "" if unassigned
std::optional<ProtocolId> protocol_id_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Transform Types (RFC 7296 3.3.2, RFC 9370 additional key exchanges).
enum class TransformType : uint8_t {
  encr = 1,
  prf = 2,
  integ = 3,
  ke = 4,
  esn = 5,
  addke1 = 6,
  addke2 = 7,
  addke3 = 8,
  addke4 = 9,
  addke5 = 10,
  addke6 = 11,
  addke7 = 12,
};
std::string_view transform_type_name(TransformType v); // "" if unassigned
std::optional<TransformType>
transform_type_from_name(std::string_view name); // exact, case-sensitive

// Transform Type 1 - Encryption Algorithm Transform IDs.
enum class EncrId : uint16_t {
  encr_des_iv64 = 1,
  encr_des = 2,
  encr_3des = 3,
  encr_rc5 = 4,
  encr_idea = 5,
  encr_cast = 6,
  encr_blowfish = 7,
  encr_3idea = 8,
  encr_des_iv32 = 9,
  encr_null = 11,
  encr_aes_cbc = 12,
  encr_aes_ctr = 13,
  encr_aes_ccm_8 = 14,
  encr_aes_ccm_12 = 15,
  encr_aes_ccm_16 = 16,
  encr_aes_gcm_8 = 18,
  encr_aes_gcm_12 = 19,
  encr_aes_gcm_16 = 20,
  encr_null_auth_aes_gmac = 21,
  encr_camellia_cbc = 23,
  encr_camellia_ctr = 24,
  encr_camellia_ccm_8 = 25,
  encr_camellia_ccm_12 = 26,
  encr_camellia_ccm_16 = 27,
  encr_chacha20_poly1305 = 28,
  encr_aes_ccm_8_iiv = 29,
  encr_aes_gcm_16_iiv = 30,
  encr_chacha20_poly1305_iiv = 31,
  encr_kuznyechik_mgm_ktree = 32,
  encr_magma_mgm_ktree = 33,
  encr_kuznyechik_mgm_mac_ktree = 34,
  encr_magma_mgm_mac_ktree = 35,
};
std::string_view encr_id_name(EncrId v);                        // "" if unassigned
std::optional<EncrId> encr_id_from_name(std::string_view name); // exact, case-sensitive

// Transform Type 2 - Pseudorandom Function Transform IDs.
enum class PrfId : uint16_t {
  prf_hmac_md5 = 1,
  prf_hmac_sha1 = 2,
  prf_hmac_tiger = 3,
  prf_aes128_xcbc = 4,
  prf_hmac_sha2_256 = 5,
  prf_hmac_sha2_384 = 6,
  prf_hmac_sha2_512 = 7,
  prf_aes128_cmac = 8,
  prf_hmac_streebog_512 = 9,
};
std::string_view prf_id_name(PrfId v);                        // "" if unassigned
std::optional<PrfId> prf_id_from_name(std::string_view name); // exact, case-sensitive

// Transform Type 3 - Integrity Algorithm Transform IDs.
enum class IntegId : uint16_t {
  none = 0,
  auth_hmac_md5_96 = 1,
  auth_hmac_sha1_96 = 2,
  auth_des_mac = 3,
  auth_kpdk_md5 = 4,
  auth_aes_xcbc_96 = 5,
  auth_hmac_md5_128 = 6,
  auth_hmac_sha1_160 = 7,
  auth_aes_cmac_96 = 8,
  auth_aes_128_gmac = 9,
  auth_aes_192_gmac = 10,
  auth_aes_256_gmac = 11,
  auth_hmac_sha2_256_128 = 12,
  auth_hmac_sha2_384_192 = 13,
  auth_hmac_sha2_512_256 = 14,
};
std::string_view integ_id_name(IntegId v);                        // "" if unassigned
std::optional<IntegId> integ_id_from_name(std::string_view name); // exact, case-sensitive

// Transform Type 4 - Key Exchange Method Transform IDs (RFC 7296 3.3.2, RFC 9370; names as
// strongSwan/Wireshark spell them).
enum class KeGroup : uint16_t {
  none = 0,
  modp_768 = 1,
  modp_1024 = 2,
  modp_1536 = 5,
  modp_2048 = 14,
  modp_3072 = 15,
  modp_4096 = 16,
  modp_6144 = 17,
  modp_8192 = 18,
  ecp_256 = 19,
  ecp_384 = 20,
  ecp_521 = 21,
  modp_1024_160 = 22,
  modp_2048_224 = 23,
  modp_2048_256 = 24,
  ecp_192 = 25,
  ecp_224 = 26,
  ecp_224_bp = 27,
  ecp_256_bp = 28,
  ecp_384_bp = 29,
  ecp_512_bp = 30,
  curve25519 = 31,
  curve448 = 32,
  gost3410_2012_256 = 33,
  gost3410_2012_512 = 34,
  ml_kem_512 = 35,
  ml_kem_768 = 36,
  ml_kem_1024 = 37,
};
std::string_view ke_group_name(KeGroup v);                        // "" if unassigned
std::optional<KeGroup> ke_group_from_name(std::string_view name); // exact, case-sensitive

// Transform Type 5 - Extended Sequence Numbers Transform IDs.
enum class EsnId : uint16_t {
  no_esn = 0,
  esn = 1,
};
std::string_view esn_id_name(EsnId v);                        // "" if unassigned
std::optional<EsnId> esn_id_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Payload Types (RFC 7296 3.2); names are the RFC/Wireshark abbreviations.
enum class PayloadType : uint8_t {
  none = 0,
  sa = 33,
  ke = 34,
  idi = 35,
  idr = 36,
  cert = 37,
  certreq = 38,
  auth = 39,
  nonce = 40,
  n = 41,
  d = 42,
  v = 43,
  tsi = 44,
  tsr = 45,
  sk = 46,
  cp = 47,
  eap = 48,
  gspm = 49,
  idg = 50,
  gsa = 51,
  kd = 52,
  skf = 53,
  ps = 54,
};
std::string_view payload_type_name(PayloadType v);                        // "" if unassigned
std::optional<PayloadType> payload_type_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Notify Message Types (RFC 7296 3.10.1 and the IANA registry): errors 1..16383, status
// 16384...
enum class NotifyType : uint16_t {
  unsupported_critical_payload = 1,
  invalid_ike_spi = 4,
  invalid_major_version = 5,
  invalid_syntax = 7,
  invalid_message_id = 9,
  invalid_spi = 11,
  no_proposal_chosen = 14,
  invalid_ke_payload = 17,
  authentication_failed = 24,
  single_pair_required = 34,
  no_additional_sas = 35,
  internal_address_failure = 36,
  failed_cp_required = 37,
  ts_unacceptable = 38,
  invalid_selectors = 39,
  unacceptable_addresses = 40,
  unexpected_nat_detected = 41,
  use_assigned_hoa = 42,
  temporary_failure = 43,
  child_sa_not_found = 44,
  invalid_group_id = 45,
  authorization_failed = 46,
  state_not_found = 47,
  ts_max_queue = 48,
  registration_failed = 49,
  initial_contact = 16384,
  set_window_size = 16385,
  additional_ts_possible = 16386,
  ipcomp_supported = 16387,
  nat_detection_source_ip = 16388,
  nat_detection_destination_ip = 16389,
  cookie = 16390,
  use_transport_mode = 16391,
  http_cert_lookup_supported = 16392,
  rekey_sa = 16393,
  esp_tfc_padding_not_supported = 16394,
  non_first_fragments_also = 16395,
  mobike_supported = 16396,
  additional_ip4_address = 16397,
  additional_ip6_address = 16398,
  no_additional_addresses = 16399,
  update_sa_addresses = 16400,
  cookie2 = 16401,
  no_nats_allowed = 16402,
  auth_lifetime = 16403,
  multiple_auth_supported = 16404,
  another_auth_follows = 16405,
  redirect_supported = 16406,
  redirect = 16407,
  redirected_from = 16408,
  ticket_lt_opaque = 16409,
  ticket_request = 16410,
  ticket_ack = 16411,
  ticket_nack = 16412,
  ticket_opaque = 16413,
  link_id = 16414,
  use_wesp_mode = 16415,
  rohc_supported = 16416,
  eap_only_authentication = 16417,
  childless_ikev2_supported = 16418,
  quick_crash_detection = 16419,
  ikev2_message_id_sync_supported = 16420,
  ipsec_replay_counter_sync_supported = 16421,
  ikev2_message_id_sync = 16422,
  ipsec_replay_counter_sync = 16423,
  secure_password_methods = 16424,
  psk_persist = 16425,
  psk_confirm = 16426,
  erx_supported = 16427,
  ifom_capability = 16428,
  group_sender = 16429,
  ikev2_fragmentation_supported = 16430,
  signature_hash_algorithms = 16431,
  clone_ike_sa_supported = 16432,
  clone_ike_sa = 16433,
  puzzle = 16434,
  use_ppk = 16435,
  ppk_identity = 16436,
  no_ppk_auth = 16437,
  intermediate_exchange_supported = 16438,
  ip4_allowed = 16439,
  ip6_allowed = 16440,
  additional_key_exchange = 16441,
  use_aggfrag = 16442,
  supported_auth_methods = 16443,
  sa_resource_info = 16444,
  use_ppk_int = 16445,
  ppk_identity_key = 16446,
  ike_sa_init_full_transcript_auth = 16447,
};
std::string_view notify_type_name(NotifyType v);                        // "" if unassigned
std::optional<NotifyType> notify_type_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Identification Payload ID Types (RFC 7296 3.5).
enum class IdType : uint8_t {
  id_ipv4_addr = 1,
  id_fqdn = 2,
  id_rfc822_addr = 3,
  id_ipv6_addr = 5,
  id_der_asn1_dn = 9,
  id_der_asn1_gn = 10,
  id_key_id = 11,
  id_fc_name = 12,
  id_null = 13,
};
std::string_view id_type_name(IdType v);                        // "" if unassigned
std::optional<IdType> id_type_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Authentication Method (RFC 7296 3.8, RFC 4754, RFC 6467, RFC 7619, RFC 7427).
enum class AuthMethod : uint8_t {
  rsa_digital_signature = 1,
  shared_key_message_integrity_code = 2,
  dss_digital_signature = 3,
  ecdsa_sha256_p256 = 9,
  ecdsa_sha384_p384 = 10,
  ecdsa_sha512_p521 = 11,
  generic_secure_password_authentication_method = 12,
  null_authentication = 13,
  digital_signature = 14,
};
std::string_view auth_method_name(AuthMethod v);                        // "" if unassigned
std::optional<AuthMethod> auth_method_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Certificate Encodings (RFC 7296 3.6, RFC 4806, RFC 7670).
enum class CertEncoding : uint8_t {
  pkcs7_wrapped_x509 = 1,
  pgp = 2,
  dns_signed_key = 3,
  x509_signature = 4,
  kerberos_token = 6,
  crl = 7,
  arl = 8,
  spki = 9,
  x509_attribute = 10,
  raw_rsa_key = 11,
  hash_and_url_x509 = 12,
  hash_and_url_x509_bundle = 13,
  ocsp_content = 14,
  raw_public_key = 15,
};
std::string_view cert_encoding_name(CertEncoding v);                        // "" if unassigned
std::optional<CertEncoding> cert_encoding_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Traffic Selector Types (RFC 7296 3.13.1, RFC 4595, RFC 9478).
enum class TsType : uint8_t {
  ts_ipv4_addr_range = 7,
  ts_ipv6_addr_range = 8,
  ts_fc_addr_range = 9,
  ts_seclabel = 10,
};
std::string_view ts_type_name(TsType v);                        // "" if unassigned
std::optional<TsType> ts_type_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Configuration Payload CFG Types (RFC 7296 3.15).
enum class CfgType : uint8_t {
  cfg_request = 1,
  cfg_reply = 2,
  cfg_set = 3,
  cfg_ack = 4,
};
std::string_view cfg_type_name(CfgType v);                        // "" if unassigned
std::optional<CfgType> cfg_type_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Configuration Payload Attribute Types (RFC 7296 3.15.1 and the IANA registry).
enum class CfgAttr : uint16_t {
  internal_ip4_address = 1,
  internal_ip4_netmask = 2,
  internal_ip4_dns = 3,
  internal_ip4_nbns = 4,
  internal_ip4_dhcp = 6,
  application_version = 7,
  internal_ip6_address = 8,
  internal_ip6_dns = 10,
  internal_ip6_dhcp = 12,
  internal_ip4_subnet = 13,
  supported_attributes = 14,
  internal_ip6_subnet = 15,
  mip6_home_prefix = 16,
  internal_ip6_link = 17,
  internal_ip6_prefix = 18,
  home_agent_address = 19,
  p_cscf_ip4_address = 20,
  p_cscf_ip6_address = 21,
  ftt_kat = 22,
  external_source_ip4_nat_info = 23,
  timeout_period_for_liveness_check = 24,
  internal_dns_domain = 25,
  internal_dnssec_ta = 26,
  encdns_ip4 = 27,
  encdns_ip6 = 28,
  encdns_digest_info = 29,
};
std::string_view cfg_attr_name(CfgAttr v);                        // "" if unassigned
std::optional<CfgAttr> cfg_attr_from_name(std::string_view name); // exact, case-sensitive

// IKEv2 Transform Attribute Types (RFC 7296 3.3.5).
enum class TransformAttr : uint16_t {
  key_length = 14,
};
std::string_view transform_attr_name(TransformAttr v); // "" if unassigned
std::optional<TransformAttr>
transform_attr_from_name(std::string_view name); // exact, case-sensitive

// EAP Codes (RFC 3748 4, RFC 6696).
enum class EapCode : uint8_t {
  request = 1,
  response = 2,
  success = 3,
  failure = 4,
  initiate = 5,
  finish = 6,
};
std::string_view eap_code_name(EapCode v);                        // "" if unassigned
std::optional<EapCode> eap_code_from_name(std::string_view name); // exact, case-sensitive

// EAP Method Types (RFC 3748 5 and the IANA registry; short upper-case names).
enum class EapType : uint8_t {
  identity = 1,
  notification = 2,
  nak = 3,
  md5_challenge = 4,
  otp = 5,
  gtc = 6,
  eap_tls = 13,
  eap_sim = 18,
  eap_ttls = 21,
  eap_aka = 23,
  peap = 25,
  eap_mschap_v2 = 26,
  eap_fast = 43,
  eap_psk = 47,
  eap_sake = 48,
  eap_ikev2 = 49,
  eap_aka_prime = 50,
  eap_gpsk = 51,
  eap_pwd = 52,
  eap_eke = 53,
  teap = 55,
  expanded = 254,
  experimental = 255,
};
std::string_view eap_type_name(EapType v);                        // "" if unassigned
std::optional<EapType> eap_type_from_name(std::string_view name); // exact, case-sensitive
// Long, human-readable payload names ("Security Association", "Notify"); "" if unknown.
std::string_view payload_type_long_name(PayloadType t);

// Payload types this codec recognises (RFC 7296 2.5: an unrecognised payload with the
// critical bit set makes the message fail with UNSUPPORTED_CRITICAL_PAYLOAD).
// 33..48 (RFC 7296), 49 GSPM (RFC 6467), 53 SKF (RFC 7383), 54 PS (RFC 8019).
bool is_known_payload_type(uint8_t type);

// Notify types 1..16383 are errors, 16384..65535 status (RFC 7296 3.10.1).
constexpr bool is_error_notify(NotifyType t) { return uint16_t(t) > 0 && uint16_t(t) < 16384; }

// The name of a transform ID within its type ("ENCR_AES_CBC", "PRF_HMAC_SHA2_256",
// "AUTH_HMAC_SHA2_256_128", "ECP_256", "ESN"); additional key exchanges (ADDKE1..7,
// RFC 9370) use the KE names. "" if unknown.
std::string_view transform_id_name(TransformType type, uint16_t id);

} // namespace ikekit::wire
