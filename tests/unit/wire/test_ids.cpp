// Name lookups: the IANA names every JSON document uses come from wire/ids.
#include "wire/ids.hpp"

#include <catch2/catch.hpp>

using namespace ikekit::wire;

TEST_CASE("notify type names follow the IANA registry", "[wire][ids]") {
  CHECK(notify_type_name(NotifyType(16388)) == "NAT_DETECTION_SOURCE_IP");
  CHECK(notify_type_name(NotifyType::nat_detection_destination_ip) ==
        "NAT_DETECTION_DESTINATION_IP");
  CHECK(notify_type_name(NotifyType(1)) == "UNSUPPORTED_CRITICAL_PAYLOAD");
  CHECK(notify_type_name(NotifyType(14)) == "NO_PROPOSAL_CHOSEN");
  CHECK(notify_type_name(NotifyType(17)) == "INVALID_KE_PAYLOAD");
  CHECK(notify_type_name(NotifyType(16390)) == "COOKIE");
  // RFC 4555 MOBIKE
  CHECK(notify_type_name(NotifyType(16396)) == "MOBIKE_SUPPORTED");
  CHECK(notify_type_name(NotifyType(16397)) == "ADDITIONAL_IP4_ADDRESS");
  CHECK(notify_type_name(NotifyType(16398)) == "ADDITIONAL_IP6_ADDRESS");
  CHECK(notify_type_name(NotifyType(16399)) == "NO_ADDITIONAL_ADDRESSES");
  CHECK(notify_type_name(NotifyType(16400)) == "UPDATE_SA_ADDRESSES");
  CHECK(notify_type_name(NotifyType(16401)) == "COOKIE2");
  CHECK(notify_type_name(NotifyType(16402)) == "NO_NATS_ALLOWED");
  CHECK(notify_type_name(NotifyType(40)) == "UNACCEPTABLE_ADDRESSES");
  CHECK(notify_type_name(NotifyType(41)) == "UNEXPECTED_NAT_DETECTED");
  // RFC 5685 redirect
  CHECK(notify_type_name(NotifyType(16406)) == "REDIRECT_SUPPORTED");
  CHECK(notify_type_name(NotifyType(16407)) == "REDIRECT");
  CHECK(notify_type_name(NotifyType(16408)) == "REDIRECTED_FROM");
  CHECK(notify_type_name(NotifyType(16430)) == "IKEV2_FRAGMENTATION_SUPPORTED");   // RFC 7383
  CHECK(notify_type_name(NotifyType(16431)) == "SIGNATURE_HASH_ALGORITHMS");       // RFC 7427
  CHECK(notify_type_name(NotifyType(16435)) == "USE_PPK");                         // RFC 8784
  CHECK(notify_type_name(NotifyType(16438)) == "INTERMEDIATE_EXCHANGE_SUPPORTED"); // RFC 9242
  CHECK(notify_type_name(NotifyType(16441)) == "ADDITIONAL_KEY_EXCHANGE");         // RFC 9370
  CHECK(notify_type_name(NotifyType(47)) == "STATE_NOT_FOUND");
  CHECK(notify_type_name(NotifyType(2)).empty());     // reserved: no name
  CHECK(notify_type_name(NotifyType(60000)).empty()); // unassigned: no name
  CHECK(notify_type_from_name("COOKIE2") == NotifyType::cookie2);
  CHECK_FALSE(notify_type_from_name("cookie2").has_value());
  CHECK(is_error_notify(NotifyType::authentication_failed));
  CHECK_FALSE(is_error_notify(NotifyType::initial_contact));
}

TEST_CASE("payload type short names are the RFC/Wireshark abbreviations", "[wire][ids]") {
  CHECK(payload_type_name(PayloadType(53)) == "SKF");
  CHECK(payload_type_name(PayloadType(33)) == "SA");
  CHECK(payload_type_name(PayloadType(35)) == "IDi");
  CHECK(payload_type_name(PayloadType(36)) == "IDr");
  CHECK(payload_type_name(PayloadType(40)) == "Nonce");
  CHECK(payload_type_name(PayloadType(41)) == "N");
  CHECK(payload_type_name(PayloadType(42)) == "D");
  CHECK(payload_type_name(PayloadType(43)) == "V");
  CHECK(payload_type_name(PayloadType(44)) == "TSi");
  CHECK(payload_type_name(PayloadType(46)) == "SK");
  CHECK(payload_type_name(PayloadType(49)) == "GSPM");
  CHECK(payload_type_name(PayloadType(99)).empty());
  CHECK(payload_type_long_name(PayloadType::n) == "Notify");
  CHECK(payload_type_long_name(PayloadType::sk) == "Encrypted and Authenticated");
  CHECK(is_known_payload_type(48));
  CHECK_FALSE(is_known_payload_type(99));
  CHECK_FALSE(is_known_payload_type(0));
}

TEST_CASE("exchange, ID, auth and other IANA names", "[wire][ids]") {
  CHECK(exchange_type_name(ExchangeType(34)) == "IKE_SA_INIT");
  CHECK(exchange_type_name(ExchangeType(35)) == "IKE_AUTH");
  CHECK(exchange_type_name(ExchangeType(36)) == "CREATE_CHILD_SA");
  CHECK(exchange_type_name(ExchangeType(37)) == "INFORMATIONAL");
  CHECK(exchange_type_name(ExchangeType(38)) == "IKE_SESSION_RESUME");
  CHECK(exchange_type_name(ExchangeType(43)) == "IKE_INTERMEDIATE");
  CHECK(exchange_type_name(ExchangeType(44)) == "IKE_FOLLOWUP_KE");
  CHECK(id_type_name(IdType(1)) == "ID_IPV4_ADDR");
  CHECK(id_type_name(IdType(11)) == "ID_KEY_ID");
  CHECK(id_type_name(IdType(13)) == "ID_NULL");
  CHECK(id_type_name(IdType(4)).empty());
  CHECK(auth_method_name(AuthMethod(14)) == "DIGITAL_SIGNATURE");
  CHECK(auth_method_name(AuthMethod(2)) == "SHARED_KEY_MESSAGE_INTEGRITY_CODE");
  CHECK(ts_type_name(TsType(7)) == "TS_IPV4_ADDR_RANGE");
  CHECK(cfg_type_name(CfgType(2)) == "CFG_REPLY");
  CHECK(cfg_attr_name(CfgAttr(1)) == "INTERNAL_IP4_ADDRESS");
  CHECK(cfg_attr_name(CfgAttr(25)) == "INTERNAL_DNS_DOMAIN");
  CHECK(protocol_id_name(ProtocolId(3)) == "ESP");
  CHECK(transform_type_name(TransformType(4)) == "KE");
  CHECK(cert_encoding_name(CertEncoding(4)) == "X509_SIGNATURE");
  CHECK(eap_code_name(EapCode(1)) == "REQUEST");
  CHECK(eap_type_name(EapType(26)) == "EAP_MSCHAP_V2");
}

TEST_CASE("transform ID names per transform type", "[wire][ids]") {
  CHECK(transform_id_name(TransformType::encr, 12) == "ENCR_AES_CBC");
  CHECK(transform_id_name(TransformType::encr, 20) == "ENCR_AES_GCM_16");
  CHECK(transform_id_name(TransformType::encr, 28) == "ENCR_CHACHA20_POLY1305");
  CHECK(transform_id_name(TransformType::prf, 5) == "PRF_HMAC_SHA2_256");
  CHECK(transform_id_name(TransformType::integ, 12) == "AUTH_HMAC_SHA2_256_128");
  CHECK(transform_id_name(TransformType::ke, 14) == "MODP_2048");
  CHECK(transform_id_name(TransformType::ke, 19) == "ECP_256");
  CHECK(transform_id_name(TransformType::ke, 31) == "Curve25519");
  CHECK(transform_id_name(TransformType::addke1, 36) == "ML_KEM_768");
  CHECK(transform_id_name(TransformType::esn, 1) == "ESN");
  CHECK(transform_id_name(TransformType::esn, 0) == "NO_ESN");
  CHECK(transform_id_name(TransformType::encr, 10).empty());
  CHECK(ke_group_from_name("Curve25519") == KeGroup::curve25519);
}
