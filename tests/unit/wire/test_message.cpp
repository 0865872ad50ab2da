// Whole messages: RFC 7296 3.1 header + 3.2 payload chain.
//
//   HDR(IKE_SA_INIT), SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
//   N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS), N(REDIRECT_SUPPORTED), V
#include "samples.hpp"
#include "wire/rules.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace ikekit;
using namespace ikekit::wire;
using namespace wire_samples;

TEST_CASE("a strongSwan-style IKE_SA_INIT request parses field by field", "[wire][message]") {
  Bytes bytes = strongswan_ike_sa_init();
  REQUIRE(bytes.size() == 260);
  auto msg = parse_message(bytes);
  REQUIRE(msg);
  const IkeHeader& h = msg->header;
  CHECK(h.spi_i == 0x6a1f3c4b5d6e7f80);
  CHECK(h.spi_r == 0);
  CHECK(h.exchange_type == ExchangeType::ike_sa_init);
  CHECK(h.major_version == 2);
  CHECK(h.minor_version == 0);
  CHECK(h.initiator());
  CHECK_FALSE(h.response());
  CHECK(h.message_id == 0);
  CHECK(h.length == 260);

  std::vector<PayloadType> want = {PayloadType::sa, PayloadType::ke, PayloadType::nonce,
                                   PayloadType::n,  PayloadType::n,  PayloadType::n,
                                   PayloadType::n,  PayloadType::n,  PayloadType::v};
  CHECK(payload_types(msg->payloads) == want);
  CHECK(msg->payloads[0].offset == 28);
  CHECK(msg->encrypted() == nullptr);
  CHECK(msg->count(PayloadType::n) == 5);

  auto sa = parse_sa(msg->find(PayloadType::sa)->body);
  REQUIRE(sa);
  REQUIRE(sa->proposals.size() == 1);
  const Proposal& p = sa->proposals[0];
  CHECK(p.protocol == ProtocolId::ike);
  CHECK(p.spi.empty());
  REQUIRE(p.transforms.size() == 4);
  CHECK(p.transforms[0].id_name() == "ENCR_AES_CBC");
  CHECK(p.transforms[0].key_length() == uint16_t(128));
  CHECK(p.transforms[1].id_name() == "AUTH_HMAC_SHA2_256_128");
  CHECK(p.transforms[2].id_name() == "PRF_HMAC_SHA2_256");
  CHECK(p.transforms[3].id_name() == "Curve25519");

  auto ke = parse_ke(msg->find(PayloadType::ke)->body);
  REQUIRE(ke);
  CHECK(ke->group == KeGroup::curve25519);
  CHECK(ke->data.size() == 32);
  CHECK(parse_nonce(msg->find(PayloadType::nonce)->body)->data.size() == 32);

  std::vector<std::string_view> notifies;
  for (const auto& raw : msg->payloads)
    if (raw.payload_type() == PayloadType::n)
      notifies.push_back(notify_type_name(parse_notify(raw.body)->type));
  CHECK(notifies ==
        std::vector<std::string_view>{"NAT_DETECTION_SOURCE_IP", "NAT_DETECTION_DESTINATION_IP",
                                      "IKEV2_FRAGMENTATION_SUPPORTED", "SIGNATURE_HASH_ALGORITHMS",
                                      "REDIRECT_SUPPORTED"});
  CHECK(to_hex(parse_vendor_id(msg->find(PayloadType::v)->body)->id) ==
        "882fe56d6fd20dbc2251613b2ebe5beb");
  CHECK(check_payload_rules(h.exchange_type, h.response(), payload_types(msg->payloads), {}));

  // Our encoder writes the same bytes from the parsed views.
  Bytes out(512);
  MessageWriter w(out, h);
  w.add(PayloadType::sa, *sa);
  w.add(PayloadType::ke, *ke);
  for (size_t i = 2; i < msg->payloads.size(); ++i)
    w.add_raw(msg->payloads[i].payload_type(), msg->payloads[i].body);
  auto n = w.finish();
  REQUIRE(n);
  CHECK(to_hex(ByteView(out.data(), *n)) == to_hex(bytes));
}

TEST_CASE("MessageWriter links Next Payload fields and lengths", "[wire][message]") {
  Bytes bytes = every_payload_message();
  auto msg = parse_message(bytes);
  REQUIRE(msg);
  CHECK(msg->header.length == bytes.size());
  CHECK(msg->header.next_payload == uint8_t(PayloadType::sa));
  REQUIRE(msg->payloads.size() == 16);
  for (size_t i = 0; i + 1 < msg->payloads.size(); ++i)
    CHECK(msg->payloads[i].next_type == msg->payloads[i + 1].type);
  const RawPayload* sk = msg->encrypted();
  REQUIRE(sk);
  CHECK(sk->type == uint8_t(PayloadType::sk));
  CHECK(sk->next_type == uint8_t(PayloadType::idi)); // first inner payload
  CHECK(sk->offset + sk->whole.size() == bytes.size());
  // Every payload parses with its own parser, and writes back to the same body.
  for (const auto& raw : msg->payloads) {
    INFO("payload " << payload_type_name(raw.payload_type()));
    auto any = parse_any(raw);
    REQUIRE(any);
    CHECK_FALSE(std::holds_alternative<OpaquePayload>(*any));
  }
  // AAD for the SK payload: header through the SK generic header.
  ByteView aad = encrypted_associated_data(msg->bytes, *sk);
  CHECK(aad.size() == sk->offset + 4);
}

TEST_CASE("SK and SKF messages", "[wire][message]") {
  Bytes sk = ike_auth_sk_message();
  auto m = parse_message(sk);
  REQUIRE(m);
  REQUIRE(m->payloads.size() == 1);
  CHECK(m->encrypted()->offset == kIkeHeaderSize);
  CHECK(parse_sk(*m->encrypted())->first_inner == PayloadType::idi);
  CHECK(encrypted_associated_data(m->bytes, *m->encrypted()).size() == 32);

  Bytes skf = ike_auth_skf_message();
  auto f = parse_message(skf);
  REQUIRE(f);
  auto frag = parse_skf(*f->encrypted());
  REQUIRE(frag);
  CHECK(frag->fragment_number == 2);
  CHECK(frag->total_fragments == 3);
  CHECK(frag->first_inner == PayloadType::none);
  CHECK(encrypted_associated_data(f->bytes, *f->encrypted()).size() == 36);

  SECTION("nothing may follow SK") {
    Bytes out(256);
    MessageWriter w(out, IkeHeader{});
    add(w, SkPayload{PayloadType::idi, kSkBody});
    w.add(PayloadType::v, VendorIdPayload{kSha1});
    auto n = w.finish();
    REQUIRE_FALSE(n);
    CHECK(n.error().field == "payload[1]");
  }
  SECTION("bytes after SK in a received message") {
    Bytes bad = sk;
    bad.insert(bad.end(), {0, 0, 0, 4});
    store_be32(bad.data() + kIkeHeaderLengthOffset, uint32_t(bad.size()));
    store_be16(bad.data() + 30, uint16_t(load_be16(bad.data() + 30))); // SK length unchanged
    auto r = parse_message(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_length);
    CHECK(r.error().field == "payload[1]");
  }
}

TEST_CASE("header checks: version and length", "[wire][header]") {
  Bytes bytes = strongswan_ike_sa_init();
  SECTION("major version 3 is unsupported (INVALID_MAJOR_VERSION)") {
    bytes[17] = 0x30;
    auto r = parse_message(bytes);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::unsupported);
    CHECK(r.error().field == "header.major_version");
  }
  SECTION("length shorter than the datagram") {
    bytes.push_back(0);
    auto r = parse_message(bytes);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_length);
    CHECK(r.error().field == "header.length");
  }
  SECTION("length below 28") {
    store_be32(bytes.data() + 24, 20);
    CHECK(parse_message(bytes).error().code == Errc::bad_length);
  }
  SECTION("header round trip") {
    auto h = parse_header(bytes);
    REQUIRE(h);
    std::array<uint8_t, 28> out{};
    REQUIRE(serialize_header(*h, out));
    CHECK(equal_bytes(out, ByteView(bytes.data(), 28)));
  }
}

TEST_CASE("critical bit: unknown critical payloads fail, unknown non-critical are kept",
          "[wire][message]") {
  Bytes out(256);
  IkeHeader h;
  h.exchange_type = ExchangeType::informational;
  MessageWriter w(out, h);
  w.add(PayloadType::n, NotifyPayload{ProtocolId(0), {}, NotifyType::initial_contact, {}});
  w.add_raw(PayloadType(99), kSha1, false); // unknown, not critical
  w.add_raw(PayloadType(100), kSha1, true); // unknown, critical
  out.resize(w.finish().value());

  auto r = parse_message(out);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported);
  CHECK(r.error().field == "payload[2].critical");

  auto lenient = parse_message(out, ChainOptions{false});
  REQUIRE(lenient);
  REQUIRE(lenient->payloads.size() == 3);
  CHECK(lenient->payloads[1].type == 99);
  CHECK_FALSE(lenient->payloads[1].critical);
  CHECK(first_unsupported_critical(lenient->payloads) == uint8_t(100));
  // A known payload with the critical bit set is fine (RFC 7296 2.5).
  Bytes known(64);
  PayloadWriter pw(known);
  pw.add(PayloadType::v, VendorIdPayload{kSha1}, true);
  auto len = pw.finish();
  REQUIRE(len);
  auto chain = parse_payload_chain(ByteView(known.data(), *len), uint8_t(PayloadType::v));
  REQUIRE(chain);
  CHECK((*chain)[0].critical);
}

// DESIGN 3: parser tests cut the input at every byte and assert the failing field.
TEST_CASE("truncation at every byte fails with a named field", "[wire][message][truncation]") {
  for (const Bytes& full : {strongswan_ike_sa_init(), every_payload_message()}) {
    // 1. The datagram is cut: the header names what is missing.
    for (size_t cut = 0; cut < full.size(); ++cut) {
      auto r = parse_message(ByteView(full.data(), cut));
      REQUIRE_FALSE(r);
      INFO("cut " << cut << " field " << r.error().field);
      CHECK(r.error().code == Errc::truncated);
      CHECK(r.error().field.rfind("header.", 0) == 0);
    }
    // 2. Cut, with the header Length patched to match: the payload chain names it.
    for (size_t cut = kIkeHeaderSize; cut < full.size(); ++cut) {
      Bytes b(full.begin(), full.begin() + long(cut));
      store_be32(b.data() + kIkeHeaderLengthOffset, uint32_t(cut));
      auto r = parse_message(b);
      REQUIRE_FALSE(r);
      INFO("cut " << cut << " field " << r.error().field << ": " << r.error().message);
      CHECK((r.error().code == Errc::truncated || r.error().code == Errc::bad_length));
      CHECK(r.error().field.rfind("payload[", 0) == 0);
    }
  }
  Bytes full = strongswan_ike_sa_init();
  auto cut_at = [&](size_t cut) {
    Bytes b(full.begin(), full.begin() + long(cut));
    if (cut >= kIkeHeaderSize) store_be32(b.data() + kIkeHeaderLengthOffset, uint32_t(cut));
    return parse_message(b).error().field;
  };
  CHECK(cut_at(0) == "header.spi_i");
  CHECK(cut_at(10) == "header.spi_r");
  CHECK(cut_at(17) == "header.version");
  CHECK(cut_at(27) == "header.length");
  CHECK(cut_at(28) == "payload[0].next_payload");
  CHECK(cut_at(30) == "payload[0].length");
  CHECK(cut_at(40) == "payload[0].length"); // inside the SA body
  CHECK(cut_at(28 + 48) == "payload[1].next_payload");
  CHECK(cut_at(28 + 48 + 40 + 10) == "payload[2].length"); // inside Nonce
  CHECK(cut_at(260 - 20) == "payload[8].next_payload");    // V missing
}

// QUICHE-style: for each payload of every_payload_message(), the field its parser must
// name when the body is cut at each byte. A row {end, field} covers the cuts below `end`
// not covered by the rows before it; "" means the cut body is still well-formed (a
// shorter KE value, a CP payload with fewer attributes). Offsets follow the RFC 7296 3.x
// layouts of the samples in samples.hpp.
struct CutRow {
  size_t end;
  const char* field;
};
struct PayloadCuts {
  PayloadType type;
  std::vector<CutRow> rows;
};
const std::vector<PayloadCuts>& payload_cut_table() {
  // 3.13: an IPv4 selector (16 octets) then an IPv6 one (40)
  const std::vector<CutRow> ts_rows = {{1, "ts.number"},
                                       {4, "ts.reserved"},
                                       {5, "ts.selector[0].type"},
                                       {6, "ts.selector[0].ip_protocol"},
                                       {8, "ts.selector[0].length"},
                                       {10, "ts.selector[0].start_port"},
                                       {12, "ts.selector[0].end_port"},
                                       {16, "ts.selector[0].start_address"},
                                       {20, "ts.selector[0].end_address"},
                                       {21, "ts.selector[1].type"},
                                       {22, "ts.selector[1].ip_protocol"},
                                       {24, "ts.selector[1].length"},
                                       {26, "ts.selector[1].start_port"},
                                       {28, "ts.selector[1].end_port"},
                                       {44, "ts.selector[1].start_address"},
                                       {60, "ts.selector[1].end_address"},
                                       {61, ""}};
  static const std::vector<PayloadCuts> t = {
      // 3.3: proposal header (last, reserved, length...) then its transforms
      {PayloadType::sa,
       {{1, "sa.proposal[0]"},
        {2, "sa.proposal[0].reserved"},
        {32, "sa.proposal[0].length"},
        {33, "sa.proposal[1]"},
        {34, "sa.proposal[1].reserved"},
        {80, "sa.proposal[1].length"},
        {81, ""}}},
      {PayloadType::ke, {{2, "ke.group"}, {4, "ke.reserved"}, {37, ""}}}, // 3.4
      {PayloadType::idi, {{1, "id.type"}, {4, "id.reserved"}, {24, ""}}}, // 3.5, FQDN
      {PayloadType::idr, {{1, "id.type"}, {4, "id.reserved"}, {8, "id.data"}, {9, ""}}}, // IPv4
      {PayloadType::cert, {{1, "cert.encoding"}, {34, ""}}},                             // 3.6
      {PayloadType::certreq, {{1, "certreq.encoding"}, {22, ""}}},                       // 3.7
      {PayloadType::auth, {{1, "auth.method"}, {4, "auth.reserved"}, {37, ""}}},         // 3.8
      {PayloadType::nonce, {{16, "nonce.data"}, {33, ""}}}, // 3.9: at least 16 octets
      {PayloadType::n,                                      // 3.10, with a 4-octet SPI
       {{1, "notify.protocol_id"},
        {2, "notify.spi_size"},
        {4, "notify.type"},
        {8, "notify.spi"},
        {9, ""}}},
      {PayloadType::d, // 3.11, two 4-octet SPIs
       {{1, "delete.protocol_id"},
        {2, "delete.spi_size"},
        {4, "delete.num_spis"},
        {12, "delete.spis"},
        {13, ""}}},
      {PayloadType::v, {{21, ""}}}, // 3.12: any length
      {PayloadType::tsi, ts_rows},
      {PayloadType::tsr, ts_rows},
      // 3.15: attributes of 4, 4 and 0 value octets; a cut between attributes is whole
      {PayloadType::cp,
       {{1, "cp.cfg_type"},
        {4, "cp.reserved"},
        {5, ""},
        {6, "cp.attribute[0].type"},
        {8, "cp.attribute[0].length"},
        {12, "cp.attribute[0].value"},
        {13, ""},
        {14, "cp.attribute[1].type"},
        {16, "cp.attribute[1].length"},
        {20, "cp.attribute[1].value"},
        {21, ""},
        {22, "cp.attribute[2].type"},
        {24, "cp.attribute[2].length"},
        {25, ""}}},
      {PayloadType::eap, {{1, "eap.code"}, {2, "eap.identifier"}, {10, "eap.length"}, {11, ""}}},
      {PayloadType::sk, {{25, ""}}}, // 3.14: opened later, by the SA's keys
  };
  return t;
}

TEST_CASE("truncated payload bodies name the exact field at every cut", "[wire][truncation]") {
  Bytes full = every_payload_message();
  auto msg = parse_message(full);
  REQUIRE(msg);
  const auto& table = payload_cut_table();
  REQUIRE(msg->payloads.size() == table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const RawPayload& raw = msg->payloads[i];
    const PayloadCuts& want = table[i];
    REQUIRE(raw.payload_type() == want.type);
    REQUIRE(want.rows.back().end == raw.body.size() + 1); // the table covers every cut
    size_t row = 0;
    for (size_t cut = 0; cut <= raw.body.size(); ++cut) {
      while (cut >= want.rows[row].end)
        ++row;
      RawPayload r = raw;
      r.body = raw.body.first(cut);
      auto any = parse_any(r);
      std::string expected = want.rows[row].field;
      INFO(payload_type_name(raw.payload_type())
           << " cut " << cut << " expects \"" << expected << "\"");
      if (expected.empty()) {
        CHECK(any.has_value());
        continue;
      }
      REQUIRE_FALSE(any.has_value());
      CHECK(any.error().field == expected);
      CHECK((any.error().code == Errc::truncated || any.error().code == Errc::bad_length));
    }
  }
}

// RFC 7296 3.14: HDR, SK {IDi, AUTH}: the inner chain is written on its own, then the SK
// payload is reserved in the message and filled in place after finish().
TEST_CASE("sealing flow: inner chain, reserved SK body, associated data", "[wire][message]") {
  std::array<uint8_t, 128> inner{};
  PayloadWriter pw(inner);
  pw.add(PayloadType::idi, IdPayload{IdType::id_fqdn, as_bytes("moon")});
  pw.add(PayloadType::auth, AuthPayload{AuthMethod::shared_key_message_integrity_code, kSha1});
  auto inner_len = pw.finish();
  REQUIRE(inner_len);
  CHECK(pw.first_type() == PayloadType::idi);

  const size_t iv = 8, icv = 16;
  Bytes out(256);
  IkeHeader h;
  h.spi_i = 1;
  h.spi_r = 2;
  h.exchange_type = ExchangeType::ike_auth;
  h.flags = kFlagInitiator;
  h.message_id = 1;
  MessageWriter w(out, h);
  size_t sk_at = w.begin_encrypted(PayloadType::sk, pw.first_type());
  size_t body_at = w.writer().skip(iv + *inner_len + icv);
  w.end();
  auto n = w.finish();
  REQUIRE(n);
  CHECK(sk_at == kIkeHeaderSize);
  CHECK(body_at == kIkeHeaderSize + kGenericHeaderSize);
  CHECK(*n == kIkeHeaderSize + kGenericHeaderSize + iv + *inner_len + icv);
  std::copy(inner.begin(), inner.begin() + long(*inner_len), out.begin() + long(body_at + iv));
  out.resize(*n);

  auto msg = parse_message(out);
  REQUIRE(msg);
  const RawPayload* sk = msg->encrypted();
  REQUIRE(sk);
  CHECK(sk->offset == sk_at);
  CHECK(sk->next_type == uint8_t(PayloadType::idi));
  CHECK(encrypted_associated_data(msg->bytes, *sk).size() == sk_at + 4);
  auto chain = parse_payload_chain(sk->body.subspan(iv, *inner_len), sk->next_type);
  REQUIRE(chain);
  CHECK(payload_types(*chain) == std::vector<PayloadType>{PayloadType::idi, PayloadType::auth});
  CHECK(check_payload_rules(ExchangeType::ike_auth, false, payload_types(msg->payloads),
                            payload_types(*chain)));
}
