// The IANA tables behind ids.hpp; see there for the naming rules.
#include "wire/ids.hpp"

namespace ikekit::wire {
namespace {

struct NameEntry {
  uint32_t value;
  std::string_view name;
};

template <size_t N> std::string_view find_name(const NameEntry (&table)[N], uint32_t value) {
  for (const auto& e : table)
    if (e.value == value) return e.name;
  return {};
}

template <size_t N>
std::optional<uint32_t> find_value(const NameEntry (&table)[N], std::string_view name) {
  for (const auto& e : table)
    if (e.name == name) return e.value;
  return std::nullopt;
}

} // namespace

constexpr NameEntry kExchangeTypeNames[] = {
    {34, "IKE_SA_INIT"},      {35, "IKE_AUTH"},           {36, "CREATE_CHILD_SA"},
    {37, "INFORMATIONAL"},    {38, "IKE_SESSION_RESUME"}, {39, "GSA_AUTH"},
    {40, "GSA_REGISTRATION"}, {41, "GSA_REKEY"},          {43, "IKE_INTERMEDIATE"},
    {44, "IKE_FOLLOWUP_KE"},
};
std::string_view exchange_type_name(ExchangeType v) {
  return find_name(kExchangeTypeNames, uint32_t(v));
}
std::optional<ExchangeType> exchange_type_from_name(std::string_view name) {
  auto v = find_value(kExchangeTypeNames, name);
  if (!v) return std::nullopt;
  return ExchangeType(*v);
}

constexpr NameEntry kProtocolIdNames[] = {
    {1, "IKE"},         {2, "AH"}, {3, "ESP"}, {4, "FC_ESP_HEADER"}, {5, "FC_CT_AUTHENTICATION"},
    {6, "GIKE_UPDATE"},
};
std::string_view protocol_id_name(ProtocolId v) { return find_name(kProtocolIdNames, uint32_t(v)); }
std::optional<ProtocolId> protocol_id_from_name(std::string_view name) {
  auto v = find_value(kProtocolIdNames, name);
  if (!v) return std::nullopt;
  return ProtocolId(*v);
}

constexpr NameEntry kTransformTypeNames[] = {
    {1, "ENCR"},   {2, "PRF"},    {3, "INTEG"},  {4, "KE"},      {5, "ESN"},     {6, "ADDKE1"},
    {7, "ADDKE2"}, {8, "ADDKE3"}, {9, "ADDKE4"}, {10, "ADDKE5"}, {11, "ADDKE6"}, {12, "ADDKE7"},
};
std::string_view transform_type_name(TransformType v) {
  return find_name(kTransformTypeNames, uint32_t(v));
}
std::optional<TransformType> transform_type_from_name(std::string_view name) {
  auto v = find_value(kTransformTypeNames, name);
  if (!v) return std::nullopt;
  return TransformType(*v);
}

constexpr NameEntry kEncrIdNames[] = {
    {1, "ENCR_DES_IV64"},
    {2, "ENCR_DES"},
    {3, "ENCR_3DES"},
    {4, "ENCR_RC5"},
    {5, "ENCR_IDEA"},
    {6, "ENCR_CAST"},
    {7, "ENCR_BLOWFISH"},
    {8, "ENCR_3IDEA"},
    {9, "ENCR_DES_IV32"},
    {11, "ENCR_NULL"},
    {12, "ENCR_AES_CBC"},
    {13, "ENCR_AES_CTR"},
    {14, "ENCR_AES_CCM_8"},
    {15, "ENCR_AES_CCM_12"},
    {16, "ENCR_AES_CCM_16"},
    {18, "ENCR_AES_GCM_8"},
    {19, "ENCR_AES_GCM_12"},
    {20, "ENCR_AES_GCM_16"},
    {21, "ENCR_NULL_AUTH_AES_GMAC"},
    {23, "ENCR_CAMELLIA_CBC"},
    {24, "ENCR_CAMELLIA_CTR"},
    {25, "ENCR_CAMELLIA_CCM_8"},
    {26, "ENCR_CAMELLIA_CCM_12"},
    {27, "ENCR_CAMELLIA_CCM_16"},
    {28, "ENCR_CHACHA20_POLY1305"},
    {29, "ENCR_AES_CCM_8_IIV"},
    {30, "ENCR_AES_GCM_16_IIV"},
    {31, "ENCR_CHACHA20_POLY1305_IIV"},
    {32, "ENCR_KUZNYECHIK_MGM_KTREE"},
    {33, "ENCR_MAGMA_MGM_KTREE"},
    {34, "ENCR_KUZNYECHIK_MGM_MAC_KTREE"},
    {35, "ENCR_MAGMA_MGM_MAC_KTREE"},
};
std::string_view encr_id_name(EncrId v) { return find_name(kEncrIdNames, uint32_t(v)); }
std::optional<EncrId> encr_id_from_name(std::string_view name) {
  auto v = find_value(kEncrIdNames, name);
  if (!v) return std::nullopt;
  return EncrId(*v);
}

constexpr NameEntry kPrfIdNames[] = {
    {1, "PRF_HMAC_MD5"},      {2, "PRF_HMAC_SHA1"},     {3, "PRF_HMAC_TIGER"},
    {4, "PRF_AES128_XCBC"},   {5, "PRF_HMAC_SHA2_256"}, {6, "PRF_HMAC_SHA2_384"},
    {7, "PRF_HMAC_SHA2_512"}, {8, "PRF_AES128_CMAC"},   {9, "PRF_HMAC_STREEBOG_512"},
};
std::string_view prf_id_name(PrfId v) { return find_name(kPrfIdNames, uint32_t(v)); }
std::optional<PrfId> prf_id_from_name(std::string_view name) {
  auto v = find_value(kPrfIdNames, name);
  if (!v) return std::nullopt;
  return PrfId(*v);
}

constexpr NameEntry kIntegIdNames[] = {
    {0, "NONE"},
    {1, "AUTH_HMAC_MD5_96"},
    {2, "AUTH_HMAC_SHA1_96"},
    {3, "AUTH_DES_MAC"},
    {4, "AUTH_KPDK_MD5"},
    {5, "AUTH_AES_XCBC_96"},
    {6, "AUTH_HMAC_MD5_128"},
    {7, "AUTH_HMAC_SHA1_160"},
    {8, "AUTH_AES_CMAC_96"},
    {9, "AUTH_AES_128_GMAC"},
    {10, "AUTH_AES_192_GMAC"},
    {11, "AUTH_AES_256_GMAC"},
    {12, "AUTH_HMAC_SHA2_256_128"},
    {13, "AUTH_HMAC_SHA2_384_192"},
    {14, "AUTH_HMAC_SHA2_512_256"},
};
std::string_view integ_id_name(IntegId v) { return find_name(kIntegIdNames, uint32_t(v)); }
std::optional<IntegId> integ_id_from_name(std::string_view name) {
  auto v = find_value(kIntegIdNames, name);
  if (!v) return std::nullopt;
  return IntegId(*v);
}

constexpr NameEntry kKeGroupNames[] = {
    {0, "NONE"},
    {1, "MODP_768"},
    {2, "MODP_1024"},
    {5, "MODP_1536"},
    {14, "MODP_2048"},
    {15, "MODP_3072"},
    {16, "MODP_4096"},
    {17, "MODP_6144"},
    {18, "MODP_8192"},
    {19, "ECP_256"},
    {20, "ECP_384"},
    {21, "ECP_521"},
    {22, "MODP_1024_160"},
    {23, "MODP_2048_224"},
    {24, "MODP_2048_256"},
    {25, "ECP_192"},
    {26, "ECP_224"},
    {27, "ECP_224_BP"},
    {28, "ECP_256_BP"},
    {29, "ECP_384_BP"},
    {30, "ECP_512_BP"},
    {31, "Curve25519"},
    {32, "Curve448"},
    {33, "GOST3410_2012_256"},
    {34, "GOST3410_2012_512"},
    {35, "ML_KEM_512"},
    {36, "ML_KEM_768"},
    {37, "ML_KEM_1024"},
};
std::string_view ke_group_name(KeGroup v) { return find_name(kKeGroupNames, uint32_t(v)); }
std::optional<KeGroup> ke_group_from_name(std::string_view name) {
  auto v = find_value(kKeGroupNames, name);
  if (!v) return std::nullopt;
  return KeGroup(*v);
}

constexpr NameEntry kEsnIdNames[] = {
    {0, "NO_ESN"},
    {1, "ESN"},
};
std::string_view esn_id_name(EsnId v) { return find_name(kEsnIdNames, uint32_t(v)); }
std::optional<EsnId> esn_id_from_name(std::string_view name) {
  auto v = find_value(kEsnIdNames, name);
  if (!v) return std::nullopt;
  return EsnId(*v);
}

constexpr NameEntry kPayloadTypeNames[] = {
    {0, "NONE"},     {33, "SA"},   {34, "KE"},    {35, "IDi"}, {36, "IDr"}, {37, "CERT"},
    {38, "CERTREQ"}, {39, "AUTH"}, {40, "Nonce"}, {41, "N"},   {42, "D"},   {43, "V"},
    {44, "TSi"},     {45, "TSr"},  {46, "SK"},    {47, "CP"},  {48, "EAP"}, {49, "GSPM"},
    {50, "IDg"},     {51, "GSA"},  {52, "KD"},    {53, "SKF"}, {54, "PS"},
};
std::string_view payload_type_name(PayloadType v) {
  return find_name(kPayloadTypeNames, uint32_t(v));
}
std::optional<PayloadType> payload_type_from_name(std::string_view name) {
  auto v = find_value(kPayloadTypeNames, name);
  if (!v) return std::nullopt;
  return PayloadType(*v);
}

constexpr NameEntry kNotifyTypeNames[] = {
    {1, "UNSUPPORTED_CRITICAL_PAYLOAD"},
    {4, "INVALID_IKE_SPI"},
    {5, "INVALID_MAJOR_VERSION"},
    {7, "INVALID_SYNTAX"},
    {9, "INVALID_MESSAGE_ID"},
    {11, "INVALID_SPI"},
    {14, "NO_PROPOSAL_CHOSEN"},
    {17, "INVALID_KE_PAYLOAD"},
    {24, "AUTHENTICATION_FAILED"},
    {34, "SINGLE_PAIR_REQUIRED"},
    {35, "NO_ADDITIONAL_SAS"},
    {36, "INTERNAL_ADDRESS_FAILURE"},
    {37, "FAILED_CP_REQUIRED"},
    {38, "TS_UNACCEPTABLE"},
    {39, "INVALID_SELECTORS"},
    {40, "UNACCEPTABLE_ADDRESSES"},
    {41, "UNEXPECTED_NAT_DETECTED"},
    {42, "USE_ASSIGNED_HoA"},
    {43, "TEMPORARY_FAILURE"},
    {44, "CHILD_SA_NOT_FOUND"},
    {45, "INVALID_GROUP_ID"},
    {46, "AUTHORIZATION_FAILED"},
    {47, "STATE_NOT_FOUND"},
    {48, "TS_MAX_QUEUE"},
    {49, "REGISTRATION_FAILED"},
    {16384, "INITIAL_CONTACT"},
    {16385, "SET_WINDOW_SIZE"},
    {16386, "ADDITIONAL_TS_POSSIBLE"},
    {16387, "IPCOMP_SUPPORTED"},
    {16388, "NAT_DETECTION_SOURCE_IP"},
    {16389, "NAT_DETECTION_DESTINATION_IP"},
    {16390, "COOKIE"},
    {16391, "USE_TRANSPORT_MODE"},
    {16392, "HTTP_CERT_LOOKUP_SUPPORTED"},
    {16393, "REKEY_SA"},
    {16394, "ESP_TFC_PADDING_NOT_SUPPORTED"},
    {16395, "NON_FIRST_FRAGMENTS_ALSO"},
    {16396, "MOBIKE_SUPPORTED"},
    {16397, "ADDITIONAL_IP4_ADDRESS"},
    {16398, "ADDITIONAL_IP6_ADDRESS"},
    {16399, "NO_ADDITIONAL_ADDRESSES"},
    {16400, "UPDATE_SA_ADDRESSES"},
    {16401, "COOKIE2"},
    {16402, "NO_NATS_ALLOWED"},
    {16403, "AUTH_LIFETIME"},
    {16404, "MULTIPLE_AUTH_SUPPORTED"},
    {16405, "ANOTHER_AUTH_FOLLOWS"},
    {16406, "REDIRECT_SUPPORTED"},
    {16407, "REDIRECT"},
    {16408, "REDIRECTED_FROM"},
    {16409, "TICKET_LT_OPAQUE"},
    {16410, "TICKET_REQUEST"},
    {16411, "TICKET_ACK"},
    {16412, "TICKET_NACK"},
    {16413, "TICKET_OPAQUE"},
    {16414, "LINK_ID"},
    {16415, "USE_WESP_MODE"},
    {16416, "ROHC_SUPPORTED"},
    {16417, "EAP_ONLY_AUTHENTICATION"},
    {16418, "CHILDLESS_IKEV2_SUPPORTED"},
    {16419, "QUICK_CRASH_DETECTION"},
    {16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"},
    {16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED"},
    {16422, "IKEV2_MESSAGE_ID_SYNC"},
    {16423, "IPSEC_REPLAY_COUNTER_SYNC"},
    {16424, "SECURE_PASSWORD_METHODS"},
    {16425, "PSK_PERSIST"},
    {16426, "PSK_CONFIRM"},
    {16427, "ERX_SUPPORTED"},
    {16428, "IFOM_CAPABILITY"},
    {16429, "GROUP_SENDER"},
    {16430, "IKEV2_FRAGMENTATION_SUPPORTED"},
    {16431, "SIGNATURE_HASH_ALGORITHMS"},
    {16432, "CLONE_IKE_SA_SUPPORTED"},
    {16433, "CLONE_IKE_SA"},
    {16434, "PUZZLE"},
    {16435, "USE_PPK"},
    {16436, "PPK_IDENTITY"},
    {16437, "NO_PPK_AUTH"},
    {16438, "INTERMEDIATE_EXCHANGE_SUPPORTED"},
    {16439, "IP4_ALLOWED"},
    {16440, "IP6_ALLOWED"},
    {16441, "ADDITIONAL_KEY_EXCHANGE"},
    {16442, "USE_AGGFRAG"},
    {16443, "SUPPORTED_AUTH_METHODS"},
    {16444, "SA_RESOURCE_INFO"},
    {16445, "USE_PPK_INT"},
    {16446, "PPK_IDENTITY_KEY"},
    {16447, "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH"},
};
std::string_view notify_type_name(NotifyType v) { return find_name(kNotifyTypeNames, uint32_t(v)); }
std::optional<NotifyType> notify_type_from_name(std::string_view name) {
  auto v = find_value(kNotifyTypeNames, name);
  if (!v) return std::nullopt;
  return NotifyType(*v);
}

constexpr NameEntry kIdTypeNames[] = {
    {1, "ID_IPV4_ADDR"}, {2, "ID_FQDN"},        {3, "ID_RFC822_ADDR"},
    {5, "ID_IPV6_ADDR"}, {9, "ID_DER_ASN1_DN"}, {10, "ID_DER_ASN1_GN"},
    {11, "ID_KEY_ID"},   {12, "ID_FC_NAME"},    {13, "ID_NULL"},
};
std::string_view id_type_name(IdType v) { return find_name(kIdTypeNames, uint32_t(v)); }
std::optional<IdType> id_type_from_name(std::string_view name) {
  auto v = find_value(kIdTypeNames, name);
  if (!v) return std::nullopt;
  return IdType(*v);
}

constexpr NameEntry kAuthMethodNames[] = {
    {1, "RSA_DIGITAL_SIGNATURE"},
    {2, "SHARED_KEY_MESSAGE_INTEGRITY_CODE"},
    {3, "DSS_DIGITAL_SIGNATURE"},
    {9, "ECDSA_SHA256_P256"},
    {10, "ECDSA_SHA384_P384"},
    {11, "ECDSA_SHA512_P521"},
    {12, "GENERIC_SECURE_PASSWORD_AUTHENTICATION_METHOD"},
    {13, "NULL_AUTHENTICATION"},
    {14, "DIGITAL_SIGNATURE"},
};
std::string_view auth_method_name(AuthMethod v) { return find_name(kAuthMethodNames, uint32_t(v)); }
std::optional<AuthMethod> auth_method_from_name(std::string_view name) {
  auto v = find_value(kAuthMethodNames, name);
  if (!v) return std::nullopt;
  return AuthMethod(*v);
}

constexpr NameEntry kCertEncodingNames[] = {
    {1, "PKCS7_WRAPPED_X509"},
    {2, "PGP"},
    {3, "DNS_SIGNED_KEY"},
    {4, "X509_SIGNATURE"},
    {6, "KERBEROS_TOKEN"},
    {7, "CRL"},
    {8, "ARL"},
    {9, "SPKI"},
    {10, "X509_ATTRIBUTE"},
    {11, "RAW_RSA_KEY"},
    {12, "HASH_AND_URL_X509"},
    {13, "HASH_AND_URL_X509_BUNDLE"},
    {14, "OCSP_CONTENT"},
    {15, "RAW_PUBLIC_KEY"},
};
std::string_view cert_encoding_name(CertEncoding v) {
  return find_name(kCertEncodingNames, uint32_t(v));
}
std::optional<CertEncoding> cert_encoding_from_name(std::string_view name) {
  auto v = find_value(kCertEncodingNames, name);
  if (!v) return std::nullopt;
  return CertEncoding(*v);
}

constexpr NameEntry kTsTypeNames[] = {
    {7, "TS_IPV4_ADDR_RANGE"},
    {8, "TS_IPV6_ADDR_RANGE"},
    {9, "TS_FC_ADDR_RANGE"},
    {10, "TS_SECLABEL"},
};
std::string_view ts_type_name(TsType v) { return find_name(kTsTypeNames, uint32_t(v)); }
std::optional<TsType> ts_type_from_name(std::string_view name) {
  auto v = find_value(kTsTypeNames, name);
  if (!v) return std::nullopt;
  return TsType(*v);
}

constexpr NameEntry kCfgTypeNames[] = {
    {1, "CFG_REQUEST"},
    {2, "CFG_REPLY"},
    {3, "CFG_SET"},
    {4, "CFG_ACK"},
};
std::string_view cfg_type_name(CfgType v) { return find_name(kCfgTypeNames, uint32_t(v)); }
std::optional<CfgType> cfg_type_from_name(std::string_view name) {
  auto v = find_value(kCfgTypeNames, name);
  if (!v) return std::nullopt;
  return CfgType(*v);
}

constexpr NameEntry kCfgAttrNames[] = {
    {1, "INTERNAL_IP4_ADDRESS"},
    {2, "INTERNAL_IP4_NETMASK"},
    {3, "INTERNAL_IP4_DNS"},
    {4, "INTERNAL_IP4_NBNS"},
    {6, "INTERNAL_IP4_DHCP"},
    {7, "APPLICATION_VERSION"},
    {8, "INTERNAL_IP6_ADDRESS"},
    {10, "INTERNAL_IP6_DNS"},
    {12, "INTERNAL_IP6_DHCP"},
    {13, "INTERNAL_IP4_SUBNET"},
    {14, "SUPPORTED_ATTRIBUTES"},
    {15, "INTERNAL_IP6_SUBNET"},
    {16, "MIP6_HOME_PREFIX"},
    {17, "INTERNAL_IP6_LINK"},
    {18, "INTERNAL_IP6_PREFIX"},
    {19, "HOME_AGENT_ADDRESS"},
    {20, "P_CSCF_IP4_ADDRESS"},
    {21, "P_CSCF_IP6_ADDRESS"},
    {22, "FTT_KAT"},
    {23, "EXTERNAL_SOURCE_IP4_NAT_INFO"},
    {24, "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK"},
    {25, "INTERNAL_DNS_DOMAIN"},
    {26, "INTERNAL_DNSSEC_TA"},
    {27, "ENCDNS_IP4"},
    {28, "ENCDNS_IP6"},
    {29, "ENCDNS_DIGEST_INFO"},
};
std::string_view cfg_attr_name(CfgAttr v) { return find_name(kCfgAttrNames, uint32_t(v)); }
std::optional<CfgAttr> cfg_attr_from_name(std::string_view name) {
  auto v = find_value(kCfgAttrNames, name);
  if (!v) return std::nullopt;
  return CfgAttr(*v);
}

constexpr NameEntry kTransformAttrNames[] = {
    {14, "KEY_LENGTH"},
};
std::string_view transform_attr_name(TransformAttr v) {
  return find_name(kTransformAttrNames, uint32_t(v));
}
std::optional<TransformAttr> transform_attr_from_name(std::string_view name) {
  auto v = find_value(kTransformAttrNames, name);
  if (!v) return std::nullopt;
  return TransformAttr(*v);
}

constexpr NameEntry kEapCodeNames[] = {
    {1, "REQUEST"}, {2, "RESPONSE"}, {3, "SUCCESS"}, {4, "FAILURE"}, {5, "INITIATE"}, {6, "FINISH"},
};
std::string_view eap_code_name(EapCode v) { return find_name(kEapCodeNames, uint32_t(v)); }
std::optional<EapCode> eap_code_from_name(std::string_view name) {
  auto v = find_value(kEapCodeNames, name);
  if (!v) return std::nullopt;
  return EapCode(*v);
}

constexpr NameEntry kEapTypeNames[] = {
    {1, "IDENTITY"},
    {2, "NOTIFICATION"},
    {3, "NAK"},
    {4, "MD5_CHALLENGE"},
    {5, "OTP"},
    {6, "GTC"},
    {13, "EAP_TLS"},
    {18, "EAP_SIM"},
    {21, "EAP_TTLS"},
    {23, "EAP_AKA"},
    {25, "PEAP"},
    {26, "EAP_MSCHAP_V2"},
    {43, "EAP_FAST"},
    {47, "EAP_PSK"},
    {48, "EAP_SAKE"},
    {49, "EAP_IKEV2"},
    {50, "EAP_AKA_PRIME"},
    {51, "EAP_GPSK"},
    {52, "EAP_PWD"},
    {53, "EAP_EKE"},
    {55, "TEAP"},
    {254, "EXPANDED"},
    {255, "EXPERIMENTAL"},
};
std::string_view eap_type_name(EapType v) { return find_name(kEapTypeNames, uint32_t(v)); }
std::optional<EapType> eap_type_from_name(std::string_view name) {
  auto v = find_value(kEapTypeNames, name);
  if (!v) return std::nullopt;
  return EapType(*v);
}
std::string_view payload_type_long_name(PayloadType t) {
  switch (t) {
  case PayloadType::none:
    return "No Next Payload";
  case PayloadType::sa:
    return "Security Association";
  case PayloadType::ke:
    return "Key Exchange";
  case PayloadType::idi:
    return "Identification - Initiator";
  case PayloadType::idr:
    return "Identification - Responder";
  case PayloadType::cert:
    return "Certificate";
  case PayloadType::certreq:
    return "Certificate Request";
  case PayloadType::auth:
    return "Authentication";
  case PayloadType::nonce:
    return "Nonce";
  case PayloadType::n:
    return "Notify";
  case PayloadType::d:
    return "Delete";
  case PayloadType::v:
    return "Vendor ID";
  case PayloadType::tsi:
    return "Traffic Selector - Initiator";
  case PayloadType::tsr:
    return "Traffic Selector - Responder";
  case PayloadType::sk:
    return "Encrypted and Authenticated";
  case PayloadType::cp:
    return "Configuration";
  case PayloadType::eap:
    return "Extensible Authentication";
  case PayloadType::gspm:
    return "Generic Secure Password Method";
  case PayloadType::idg:
    return "Group Identification";
  case PayloadType::gsa:
    return "Group Security Association";
  case PayloadType::kd:
    return "Key Download";
  case PayloadType::skf:
    return "Encrypted and Authenticated Fragment";
  case PayloadType::ps:
    return "Puzzle Solution";
  }
  return {};
}

bool is_known_payload_type(uint8_t type) {
  return (type >= 33 && type <= 49) || type == 53 || type == 54;
}

std::string_view transform_id_name(TransformType type, uint16_t id) {
  switch (type) {
  case TransformType::encr:
    return encr_id_name(EncrId(id));
  case TransformType::prf:
    return prf_id_name(PrfId(id));
  case TransformType::integ:
    return integ_id_name(IntegId(id));
  case TransformType::esn:
    return esn_id_name(EsnId(id));
  case TransformType::ke:
  case TransformType::addke1:
  case TransformType::addke2:
  case TransformType::addke3:
  case TransformType::addke4:
  case TransformType::addke5:
  case TransformType::addke6:
  case TransformType::addke7:
    return ke_group_name(KeGroup(id));
  }
  return {};
}

} // namespace ikekit::wire
