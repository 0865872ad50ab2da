// Writes the seed corpus of fuzz/fuzz_ike_message from the samples; hidden, run with
//   unit_wire "[.write_corpus]"
#include "samples.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

using namespace wire_samples;

namespace {

void write_seed(const std::string& name, ByteView bytes) {
  std::string path = test::data_dir() + "/../../fuzz/corpus/fuzz_ike_message/" + name;
  std::ofstream out(path, std::ios::binary);
  REQUIRE(out);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

Bytes with_marker(const Bytes& ike) {
  Bytes out = {0, 0, 0, 0};
  out.insert(out.end(), ike.begin(), ike.end());
  return out;
}

Bytes message_with(ExchangeType x, uint8_t flags, void (*fill)(MessageWriter&)) {
  Bytes out(1024);
  IkeHeader h;
  h.spi_i = 0xa1b2c3d4e5f60718;
  h.spi_r = 0x0102030405060708;
  h.exchange_type = x;
  h.flags = flags;
  h.message_id = 2;
  MessageWriter w(out, h);
  fill(w);
  out.resize(w.finish().value());
  return out;
}

} // namespace

TEST_CASE("write the fuzz_ike_message seed corpus", "[.write_corpus]") {
  write_seed("strongswan_ike_sa_init.bin", strongswan_ike_sa_init());
  write_seed("every_payload.bin", every_payload_message());
  write_seed("ike_auth_sk.bin", ike_auth_sk_message());
  write_seed("ike_auth_skf.bin", ike_auth_skf_message());
  write_seed("udp4500_ike_sa_init.bin", with_marker(strongswan_ike_sa_init()));
  write_seed("ike_sa_init_cookie_response.bin",
             message_with(ExchangeType::ike_sa_init, kFlagResponse, [](MessageWriter& w) {
               w.add(PayloadType::n, NotifyPayload{ProtocolId(0), {}, NotifyType::cookie, kSha1});
             }));
  write_seed("ike_sa_init_invalid_ke.bin",
             message_with(ExchangeType::ike_sa_init, kFlagResponse, [](MessageWriter& w) {
               static constexpr std::array<uint8_t, 2> group = {0, 19};
               w.add(PayloadType::n,
                     NotifyPayload{ProtocolId(0), {}, NotifyType::invalid_ke_payload, group});
             }));
  write_seed("create_child_sa_plain.bin",
             message_with(ExchangeType::create_child_sa, kFlagInitiator, [](MessageWriter& w) {
               w.add(PayloadType::sa, sample_sa());
               w.add(PayloadType::nonce, NoncePayload{kKeData});
               w.add(PayloadType::ke, KePayload{KeGroup::ecp_256, kKeData});
               w.add(PayloadType::tsi, sample_ts());
               w.add(PayloadType::tsr, sample_ts());
             }));
  write_seed(
      "informational_delete_cp_eap.bin",
      message_with(ExchangeType::informational, kFlagInitiator, [](MessageWriter& w) {
        w.add(PayloadType::d, DeletePayload{ProtocolId::esp, 4, 2, kSpis});
        w.add(PayloadType::cp, sample_cp());
        w.add(PayloadType::eap, EapPayload{EapCode::request, 1, EapType::eap_mschap_v2, kSha1});
        w.add_raw(PayloadType(99), kSha1, true); // unknown critical
      }));
  write_seed("ids_certs_auth.bin",
             message_with(ExchangeType::ike_auth, kFlagInitiator, [](MessageWriter& w) {
               w.add(PayloadType::idi,
                     IdPayload{IdType::id_rfc822_addr, as_bytes("carol@strongswan.org")});
               w.add(PayloadType::idr, IdPayload{IdType::id_ipv6_addr, kV6End});
               w.add(PayloadType::cert, CertPayload{CertEncoding::x509_signature, kKeData});
               w.add(PayloadType::certreq, CertReqPayload{CertEncoding::x509_signature, kSha1});
               w.add(PayloadType::auth, AuthPayload{AuthMethod::digital_signature, kKeData});
               w.add(PayloadType::v, VendorIdPayload{kSha1});
             }));
}
