// Round trip for every payload type: serialize -> parse -> fields equal -> re-serialize
// gives the same bytes. Each case quotes the RFC layout of the payload body.
#include "base/hex.hpp"
#include "samples.hpp"

#include <array>
#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::wire;
using namespace wire_samples;

namespace {

bool same(ByteView a, ByteView b) { return equal_bytes(a, b); }

// serialize(p) -> parse -> check -> serialize(parsed) == first bytes; also through a
// PayloadWriter chain and parse_any, and a too-small buffer fails with bad_length.
template <typename P, typename Parse, typename Check>
void round_trip(const P& p, PayloadType type, Parse parse, Check check) {
  std::array<uint8_t, 2048> buf{};
  auto n = serialize(p, buf);
  REQUIRE(n);
  ByteView first(buf.data(), *n);
  auto parsed = parse(first);
  REQUIRE(parsed);
  check(*parsed);
  std::array<uint8_t, 2048> buf2{};
  auto n2 = serialize(*parsed, buf2);
  REQUIRE(n2);
  CHECK(same(first, ByteView(buf2.data(), *n2)));

  if (*n > 0) {
    auto small = serialize(p, MutBytes(buf2.data(), *n - 1));
    REQUIRE_FALSE(small);
    CHECK(small.error().code == Errc::bad_length);
  }

  // As one payload of a chain: generic header + the same body.
  std::array<uint8_t, 2100> chain{};
  PayloadWriter w(chain);
  if constexpr (std::is_same_v<P, SkPayload> || std::is_same_v<P, SkfPayload>)
    add(w, p); // SK/SKF: Next Payload names the first inner payload
  else
    w.add(type, p);
  auto len = w.finish();
  REQUIRE(len);
  REQUIRE(*len == *n + kGenericHeaderSize);
  CHECK(w.first_type() == type);
  auto raws = parse_payload_chain(ByteView(chain.data(), *len), uint8_t(type));
  REQUIRE(raws);
  REQUIRE(raws->size() == 1);
  CHECK((*raws)[0].type == uint8_t(type));
  CHECK(same((*raws)[0].body, first));
  auto any = parse_any((*raws)[0]);
  REQUIRE(any);
  CHECK(std::holds_alternative<P>(*any));
}

} // namespace

// RFC 7296 3.3: Proposal (Last Substruc, Proposal Length, Proposal Num, Protocol ID,
// SPI Size, Num Transforms, SPI, Transforms), Transform (Last Substruc, Transform
// Length, Transform Type, Transform ID, Attributes), Attribute (AF|Type, Length/Value).
TEST_CASE("SA payload round trip: proposals, transforms, Key Length attribute", "[wire][sa]") {
  SaPayload sa = sample_sa();
  // one TLV attribute to cover AF=0
  static constexpr std::array<uint8_t, 3> tlv = {9, 8, 7};
  sa.proposals[1].transforms[1].attributes.push_back({17, false, 0, tlv});
  round_trip(sa, PayloadType::sa, parse_sa, [&](const SaPayload& got) {
    REQUIRE(got.proposals.size() == 2);
    for (size_t i = 0; i < 2; ++i) {
      const Proposal& a = sa.proposals[i];
      const Proposal& b = got.proposals[i];
      CHECK(a.number == b.number);
      CHECK(a.protocol == b.protocol);
      CHECK(same(a.spi, b.spi));
      REQUIRE(a.transforms.size() == b.transforms.size());
      for (size_t j = 0; j < a.transforms.size(); ++j) {
        CHECK(a.transforms[j].type == b.transforms[j].type);
        CHECK(a.transforms[j].id == b.transforms[j].id);
        REQUIRE(a.transforms[j].attributes.size() == b.transforms[j].attributes.size());
        for (size_t k = 0; k < a.transforms[j].attributes.size(); ++k) {
          CHECK(a.transforms[j].attributes[k].type == b.transforms[j].attributes[k].type);
          CHECK(a.transforms[j].attributes[k].tv == b.transforms[j].attributes[k].tv);
          CHECK(a.transforms[j].attributes[k].value == b.transforms[j].attributes[k].value);
          CHECK(same(a.transforms[j].attributes[k].data, b.transforms[j].attributes[k].data));
        }
      }
    }
    CHECK(got.proposals[0].transforms[0].key_length() == uint16_t(256));
    CHECK(got.proposals[0].transforms[0].id_name() == "ENCR_AES_GCM_16");
    CHECK_FALSE(got.proposals[1].transforms[2].key_length().has_value());
  });
}

TEST_CASE("SA payload errors name proposal and transform", "[wire][sa]") {
  std::array<uint8_t, 512> buf{};
  auto n = serialize(sample_sa(), buf);
  REQUIRE(n);
  // proposal[1] starts after proposal[0] (8 + 4 SPI + 12 + 8 = 32 bytes)
  SECTION("transform length too small") {
    // proposal[1].transform[0] at 32 + 12; its length field at +2
    store_be16(buf.data() + 32 + 12 + 2, 4);
    auto sa = parse_sa(ByteView(buf.data(), *n));
    REQUIRE_FALSE(sa);
    CHECK(sa.error().code == Errc::bad_length);
    CHECK(sa.error().field == "sa.proposal[1].transform[0].length");
  }
  SECTION("transform running past its proposal") {
    store_be16(buf.data() + 32 + 12 + 12 + 2, 200); // proposal[1].transform[1].length
    auto sa = parse_sa(ByteView(buf.data(), *n));
    REQUIRE_FALSE(sa);
    CHECK(sa.error().code == Errc::truncated);
    CHECK(sa.error().field == "sa.proposal[1].transform[1].length");
  }
  SECTION("bad Last Substruc") {
    buf[0] = 1;
    auto sa = parse_sa(ByteView(buf.data(), *n));
    REQUIRE_FALSE(sa);
    CHECK(sa.error().code == Errc::bad_value);
    CHECK(sa.error().field == "sa.proposal[0].last_substruc");
  }
  SECTION("Last Substruc says more, but nothing follows") {
    auto sa = parse_sa(ByteView(buf.data(), 32));
    REQUIRE_FALSE(sa);
    CHECK(sa.error().code == Errc::truncated);
    CHECK(sa.error().field == "sa.proposal[1]");
  }
  SECTION("empty SA") {
    auto sa = parse_sa({});
    REQUIRE_FALSE(sa);
    CHECK(sa.error().field == "sa.proposal[0]");
  }
}

// RFC 7296 3.4: Key Exchange Method Num | RESERVED | Key Exchange Data
TEST_CASE("KE payload round trip", "[wire][ke]") {
  round_trip(KePayload{KeGroup::curve25519, kKeData}, PayloadType::ke, parse_ke,
             [](const KePayload& k) {
               CHECK(k.group == KeGroup::curve25519);
               CHECK(same(k.data, kKeData));
             });
}

// RFC 7296 3.5: ID Type | RESERVED | Identification Data
TEST_CASE("ID payload round trip and text form", "[wire][id]") {
  round_trip(IdPayload{IdType::id_fqdn, as_bytes("moon.strongswan.org")}, PayloadType::idi,
             parse_id, [](const IdPayload& id) {
               CHECK(id.type == IdType::id_fqdn);
               CHECK(id_to_text(id) == "moon.strongswan.org");
             });
  round_trip(IdPayload{IdType::id_ipv4_addr, kV4End}, PayloadType::idr, parse_id,
             [](const IdPayload& id) { CHECK(id_to_text(id) == "10.0.0.255"); });
  CHECK(id_to_text(IdPayload{IdType::id_ipv6_addr, kV6End}).rfind("2001:db8", 0) == 0);
  CHECK(id_to_text(IdPayload{IdType::id_rfc822_addr, as_bytes("carol@strongswan.org")}) ==
        "carol@strongswan.org");
  CHECK(id_to_text(IdPayload{IdType::id_key_id, kSpi4}) == "c001d00d");
  CHECK(id_to_text(IdPayload{IdType::id_der_asn1_dn, kSpi4}) == "c001d00d");
  CHECK(id_to_text(IdPayload{IdType::id_null, {}}).empty());
  static constexpr std::array<uint8_t, 5> three = {1, 0, 0, 0, 9}; // ID_IPV4_ADDR with 1 byte
  auto bad = parse_id(three);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "id.data");
}

// RFC 7296 3.6 / 3.7: Cert Encoding | Certificate Data / Certification Authority
TEST_CASE("CERT and CERTREQ payload round trip", "[wire][cert]") {
  round_trip(CertPayload{CertEncoding::x509_signature, kKeData}, PayloadType::cert, parse_cert,
             [](const CertPayload& c) {
               CHECK(c.encoding == CertEncoding::x509_signature);
               CHECK(same(c.data, kKeData));
             });
  round_trip(CertReqPayload{CertEncoding::x509_signature, kSha1}, PayloadType::certreq,
             parse_certreq, [](const CertReqPayload& c) {
               CHECK(c.hash_count() == 1);
               CHECK(same(c.hash(0), kSha1));
             });
}

// RFC 7296 3.8: Auth Method | RESERVED | Authentication Data
TEST_CASE("AUTH payload round trip", "[wire][auth]") {
  round_trip(AuthPayload{AuthMethod::digital_signature, kKeData}, PayloadType::auth, parse_auth,
             [](const AuthPayload& a) {
               CHECK(a.method == AuthMethod::digital_signature);
               CHECK(same(a.data, kKeData));
             });
}

// RFC 7296 3.9: Nonce Data, 16..256 octets
TEST_CASE("Nonce payload round trip and size limits", "[wire][nonce]") {
  round_trip(NoncePayload{kKeData}, PayloadType::nonce, parse_nonce,
             [](const NoncePayload& n) { CHECK(same(n.data, kKeData)); });
  std::array<uint8_t, 257> big{};
  CHECK(parse_nonce(ByteView(big.data(), 16)));
  CHECK(parse_nonce(ByteView(big.data(), 256)));
  CHECK(parse_nonce(ByteView(big.data(), 15)).error().field == "nonce.data");
  CHECK(parse_nonce(big).error().code == Errc::bad_length);
}

// RFC 7296 3.10: Protocol ID | SPI Size | Notify Message Type | SPI | Notification Data
TEST_CASE("Notify payload round trip", "[wire][notify]") {
  round_trip(NotifyPayload{ProtocolId::esp, kSpi4, NotifyType::rekey_sa, {}}, PayloadType::n,
             parse_notify, [](const NotifyPayload& n) {
               CHECK(n.protocol == ProtocolId::esp);
               CHECK(same(n.spi, kSpi4));
               CHECK(n.type == NotifyType::rekey_sa);
               CHECK(n.data.empty());
               CHECK_FALSE(n.is_error());
             });
  round_trip(NotifyPayload{ProtocolId(0), {}, NotifyType::cookie, kSha1}, PayloadType::n,
             parse_notify, [](const NotifyPayload& n) {
               CHECK(n.spi.empty());
               CHECK(same(n.data, kSha1));
             });
  static constexpr std::array<uint8_t, 6> short_spi = {3, 4, 0x40, 0x09, 1, 2};
  auto bad = parse_notify(short_spi);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::truncated);
  CHECK(bad.error().field == "notify.spi");
}

// RFC 7296 3.11: Protocol ID | SPI Size | Num of SPIs | SPIs
TEST_CASE("Delete payload round trip", "[wire][delete]") {
  round_trip(DeletePayload{ProtocolId::esp, 4, 2, kSpis}, PayloadType::d, parse_delete,
             [](const DeletePayload& d) {
               CHECK(d.protocol == ProtocolId::esp);
               CHECK(d.count == 2);
               CHECK(d.spi_u32(0) == 0xc001d00d);
               CHECK(d.spi_u32(1) == 0xc001d00e);
             });
  // Deleting the IKE SA: protocol 1, SPI size 0, no SPIs.
  round_trip(DeletePayload{ProtocolId::ike, 0, 0, {}}, PayloadType::d, parse_delete,
             [](const DeletePayload& d) { CHECK(d.protocol == ProtocolId::ike); });
  static constexpr std::array<uint8_t, 8> short_spis = {3, 4, 0, 2, 1, 2, 3, 4};
  CHECK(parse_delete(short_spis).error().field == "delete.spis");
}

// RFC 7296 3.12: Vendor ID
TEST_CASE("Vendor ID payload round trip", "[wire][vendor]") {
  round_trip(VendorIdPayload{kSha1}, PayloadType::v, parse_vendor_id,
             [](const VendorIdPayload& v) { CHECK(same(v.id, kSha1)); });
}

// RFC 7296 3.13: Number of TSs | RESERVED | selectors (TS Type, IP Protocol ID, Selector
// Length, Start Port, End Port, Starting Address, Ending Address)
TEST_CASE("TS payload round trip: IPv4 and IPv6 ranges", "[wire][ts]") {
  TsPayload ts = sample_ts();
  static constexpr std::array<uint8_t, 6> label = {'s', 'y', 's', 't', 'e', 'm'};
  ts.selectors.push_back(TrafficSelector{TsType::ts_seclabel, 0, 0, 0, {}, {}, label});
  round_trip(ts, PayloadType::tsi, parse_ts, [](const TsPayload& got) {
    REQUIRE(got.selectors.size() == 3);
    const auto& v4 = got.selectors[0];
    CHECK(v4.type == TsType::ts_ipv4_addr_range);
    CHECK(v4.ip_protocol == 6);
    CHECK(v4.start_port == 0);
    CHECK(v4.end_port == 65535);
    CHECK(v4.start().to_string() == "10.0.0.0");
    CHECK(v4.end().to_string() == "10.0.0.255");
    const auto& v6 = got.selectors[1];
    CHECK(v6.type == TsType::ts_ipv6_addr_range);
    CHECK(v6.start_port == 500);
    CHECK(same(v6.start_address, kV6Start));
    CHECK(same(v6.end_address, kV6End));
    CHECK(same(got.selectors[2].data, label));
  });
  std::array<uint8_t, 256> buf{};
  auto n = serialize(sample_ts(), buf);
  REQUIRE(n);
  store_be16(buf.data() + 4 + 2, 20); // selector[0] length must be 16 for IPv4
  auto bad = parse_ts(ByteView(buf.data(), *n));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "ts.selector[0].length");
}

// RFC 7296 3.14: SK body is IV | encrypted payloads | padding | pad length | ICV;
// RFC 7383 2.5: SKF adds Fragment Number | Total Fragments.
TEST_CASE("SK and SKF payload round trip", "[wire][sk]") {
  round_trip(
      SkPayload{PayloadType::idi, kSkBody}, PayloadType::sk,
      [](ByteView body) { return parse_sk(uint8_t(PayloadType::idi), body); },
      [](const SkPayload& sk) {
        CHECK(sk.first_inner == PayloadType::idi);
        CHECK(same(sk.body, kSkBody));
      });
  round_trip(
      SkfPayload{1, 2, PayloadType::idr, kSkBody}, PayloadType::skf,
      [](ByteView body) { return parse_skf(uint8_t(PayloadType::idr), body); },
      [](const SkfPayload& f) {
        CHECK(f.fragment_number == 1);
        CHECK(f.total_fragments == 2);
        CHECK(same(f.body, kSkBody));
      });
  static constexpr std::array<uint8_t, 4> zero = {0, 0, 0, 2};
  CHECK(parse_skf(0, zero).error().field == "skf.fragment_number");
  static constexpr std::array<uint8_t, 4> over = {0, 3, 0, 2};
  CHECK(parse_skf(0, over).error().code == Errc::bad_value);
  static constexpr std::array<uint8_t, 3> cut = {0, 1, 0};
  CHECK(parse_skf(0, cut).error().field == "skf.total_fragments");
}

// RFC 7296 3.15: CFG Type | RESERVED | attributes (R|Type, Length, Value)
TEST_CASE("CP payload round trip", "[wire][cp]") {
  round_trip(sample_cp(), PayloadType::cp, parse_cp, [](const CpPayload& cp) {
    CHECK(cp.type == CfgType::cfg_reply);
    REQUIRE(cp.attributes.size() == 3);
    CHECK(cp.attributes[0].type == CfgAttr::internal_ip4_address);
    CHECK(same(cp.attributes[0].value, kV4Start));
    CHECK(cp.attributes[1].type == CfgAttr::internal_ip4_dns);
    CHECK(cp.attributes[2].value.empty());
  });
  static constexpr std::array<uint8_t, 9> cut = {1, 0, 0, 0, 0, 1, 0, 4, 10};
  CHECK(parse_cp(cut).error().field == "cp.attribute[0].value");
}

// RFC 7296 3.15.1: the address attributes' values (empty in a request).
TEST_CASE("CP address attributes", "[wire][cp]") {
  auto v4 = *IpAddress::parse("10.99.0.7");
  auto v6 = *IpAddress::parse("fd99::7");
  Bytes a4 = cfg_address_value(CfgAttr::internal_ip4_address, v4);
  CHECK(a4.size() == 4);
  auto p4 = parse_cfg_address(CfgAttribute{CfgAttr::internal_ip4_address, a4});
  REQUIRE(p4);
  REQUIRE(*p4);
  CHECK((*p4)->address == v4);
  Bytes a6 = cfg_address_value(CfgAttr::internal_ip6_address, v6, 112);
  CHECK(a6.size() == 17);
  auto p6 = parse_cfg_address(CfgAttribute{CfgAttr::internal_ip6_address, a6});
  REQUIRE(p6);
  REQUIRE(*p6);
  CHECK((*p6)->address == v6);
  CHECK((*p6)->prefix_len == 112);
  Bytes d6 = cfg_address_value(CfgAttr::internal_ip6_dns, v6);
  CHECK(d6.size() == 16);
  auto pd6 = parse_cfg_address(CfgAttribute{CfgAttr::internal_ip6_dns, d6});
  REQUIRE(pd6);
  CHECK((*pd6)->address == v6);
  auto mask = parse_cfg_address(CfgAttribute{
      CfgAttr::internal_ip4_netmask,
      cfg_address_value(CfgAttr::internal_ip4_netmask, *IpAddress::parse("255.255.255.0"))});
  REQUIRE(mask);
  CHECK((*mask)->address.to_string() == "255.255.255.0");
  auto empty = parse_cfg_address(CfgAttribute{CfgAttr::internal_ip4_dns, {}});
  REQUIRE(empty);
  CHECK_FALSE(*empty);
  // An IPv6 address without its prefix-length octet, or a v4 value of 16 octets.
  CHECK(parse_cfg_address(CfgAttribute{CfgAttr::internal_ip6_address, d6}).error().field ==
        "value");
  CHECK(parse_cfg_address(CfgAttribute{CfgAttr::internal_ip4_dns, d6}).error().code ==
        Errc::bad_length);
  a6[16] = 129;
  CHECK(parse_cfg_address(CfgAttribute{CfgAttr::internal_ip6_address, a6}).error().code ==
        Errc::bad_value);
  CHECK_FALSE(is_address_attribute(CfgAttr::application_version));
  CHECK(parse_cfg_address(CfgAttribute{CfgAttr::application_version, a4}).error().field == "type");
}

// RFC 7296 3.15.1: INTERNAL_IP4_SUBNET is address and netmask, INTERNAL_IP6_SUBNET address
// and prefix length.
TEST_CASE("CP subnet attributes", "[wire][cp]") {
  Prefix p4 = *Prefix::parse("10.1.0.0/20");
  CHECK(cfg_subnet_type(p4) == CfgAttr::internal_ip4_subnet);
  Bytes v4 = cfg_subnet_value(p4);
  CHECK(to_hex(v4) == "0a010000fffff000");
  auto back4 = parse_cfg_subnet(CfgAttribute{CfgAttr::internal_ip4_subnet, v4});
  REQUIRE(back4);
  REQUIRE(*back4);
  CHECK((*back4)->to_string() == "10.1.0.0/20");
  Prefix p6 = *Prefix::parse("fd00:1::/48");
  Bytes v6 = cfg_subnet_value(p6);
  CHECK(v6.size() == 17);
  CHECK(cfg_subnet_type(p6) == CfgAttr::internal_ip6_subnet);
  auto back6 = parse_cfg_subnet(CfgAttribute{CfgAttr::internal_ip6_subnet, v6});
  REQUIRE(back6);
  CHECK((*back6)->to_string() == "fd00:1::/48");
  CHECK(cfg_subnet_value(*Prefix::parse("0.0.0.0/0")) == Bytes(8, 0));
  auto empty = parse_cfg_subnet(CfgAttribute{CfgAttr::internal_ip4_subnet, {}});
  REQUIRE(empty);
  CHECK_FALSE(*empty);
  v4[6] = 0x0f; // 255.255.15.0: ones after zeros
  CHECK(parse_cfg_subnet(CfgAttribute{CfgAttr::internal_ip4_subnet, v4}).error().field == "value");
  CHECK(parse_cfg_subnet(CfgAttribute{CfgAttr::internal_ip4_subnet, ByteView(v4).first(4)})
            .error()
            .code == Errc::bad_length);
  v6[16] = 129;
  CHECK(parse_cfg_subnet(CfgAttribute{CfgAttr::internal_ip6_subnet, v6}).error().code ==
        Errc::bad_value);
  CHECK(parse_cfg_subnet(CfgAttribute{CfgAttr::internal_ip4_dns, v4}).error().field == "type");
}

// RFC 7296 3.16 / RFC 3748 4: Code | Identifier | Length | Type | Type-Data
TEST_CASE("EAP payload round trip", "[wire][eap]") {
  round_trip(EapPayload{EapCode::response, 3, EapType::identity, as_bytes("carol")},
             PayloadType::eap, parse_eap, [](const EapPayload& e) {
               CHECK(e.code == EapCode::response);
               CHECK(e.identifier == 3);
               CHECK(e.type == EapType::identity);
               CHECK(same(e.data, as_bytes("carol")));
             });
  round_trip(EapPayload{EapCode::success, 4, std::nullopt, {}}, PayloadType::eap, parse_eap,
             [](const EapPayload& e) {
               CHECK(e.code == EapCode::success);
               CHECK_FALSE(e.type.has_value());
             });
  static constexpr std::array<uint8_t, 6> long_len = {1, 1, 0, 9, 1, 0};
  CHECK(parse_eap(long_len).error().code == Errc::truncated);
  CHECK(parse_eap(long_len).error().field == "eap.length");
}

TEST_CASE("unknown payload types parse as opaque", "[wire][any]") {
  RawPayload raw;
  raw.type = 49; // GSPM: recognised, no view
  raw.body = kSha1;
  auto any = parse_any(raw);
  REQUIRE(any);
  REQUIRE(std::holds_alternative<OpaquePayload>(*any));
  CHECK(same(std::get<OpaquePayload>(*any).body, kSha1));
}
