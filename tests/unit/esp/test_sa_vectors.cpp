// Known-answer tests: whole ESP packets from published examples.
//
// Sources (each vector was also re-derived independently with Python's
// `cryptography` 48.0 AES-GCM / ChaCha20-Poly1305 from key, salt, IV, AAD and
// plaintext before it was copied here):
//  - draft-mcgrew-gcm-test-01 section 4 ("Test Cases for the use of GCM and GMAC in
//    IPsec ESP"): AES-GCM ESP packets, with and without ESN. The drafts' plaintexts
//    end with the ESP trailer (padding 1, 2, Pad Length, Next Header 1); the
//    payload below is the plaintext without that trailer.
//  - RFC 7634 Appendix A: a tunnel-mode ChaCha20-Poly1305 ESP packet.
// These use explicit IVs that are not the sequence number, so the test seals through
// the SA's test hook that injects the IV.
#include "esp_test_util.hpp"

#include <catch2/catch.hpp>

using namespace esp_test;

namespace {
struct Kat {
  const char* name;
  const char* encr;
  const char* key_salt;
  uint32_t spi;
  uint64_t seq;
  bool esn;
  const char* iv;
  const char* payload;
  uint8_t next_header;
  const char* packet;
};

const Kat kKats[] = {
    {"draft-mcgrew-gcm-test-01 4: AES-128-GCM, ESN, SPI 4321", "aes128gcm16",
     "4c80cdefbb5d10da906ac73c3613a6342e443b68", 0x00004321, 0x8765432100000000ULL, true,
     "4956ed7e3b244cfe",
     "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
     "00000000045f736970045f756470037369700963796265726369747902646b00"
     "00210001",
     1,
     "00004321000000004956ed7e3b244cfefecf537e729d5b07dc30df528dd22b76"
     "8d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d"
     "15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe72"
     "2fd04796562dfdb4"},
    {"draft-mcgrew-gcm-test-01 4: AES-128-GCM, no padding, SPI a5f8", "aes128gcm16",
     "feffe9928665731c6d6a8f9467308308cafebabe", 0x0000a5f8, 0x000000000000000aULL, false,
     "facedbaddecaf888",
     "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
     "0001000000000000037369700963796265726369747902646b0000010001",
     1,
     "0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304"
     "a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642"
     "cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a"},
    {"draft-mcgrew-gcm-test-01 4: AES-128-GCM, empty payload, seq 2^32-1", "aes128gcm16",
     "7d773d00c144c525ac619d18c84a3f47d9664267", 0x335467ae, 0x00000000ffffffffULL, false,
     "43457e9182443bc6", "", 1,
     "335467aeffffffff43457e9182443bc6437f866bcb3f699fe9b0822bac961c45"
     "04bef270"},
    {"draft-mcgrew-gcm-test-01 4: AES-256-GCM, ESN seq 2^64-1", "aes256gcm16",
     "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961"
     "7475726e",
     0x796b6963, 0xffffffffffffffffULL, true, "333021696765746d",
     "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
     "65666768696a6b6c6d6e6f7071727374",
     1,
     "796b6963ffffffff333021696765746df97ab2aa356d8edce17644ac8c78e25d"
     "d24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68a32b42458fb57dbe82"
     "1dcc63b9d0937ba2945f669368661a329fb4c053"},
    {"RFC 7634 Appendix A: ChaCha20-Poly1305, tunnel-mode ICMP", "chacha20poly1305",
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
     "a0a1a2a3",
     0x01020304, 0x0000000000000005ULL, false, "1011121314151617",
     "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
     "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
     "2425262728292a2b2c2d2e2f3031323334353637",
     4,
     "0102030400000005101112131415161724039428b97f417e3c13753a4f05087b"
     "67c352e6a7fab1b982d466ef407ae5c614ee8099d52844eb61aa95dfab4c02f7"
     "2aa71e7c4c4f64c9befe2facc638e8f3cbec163fac469b502773f6fb94e664da"
     "9165b82829f641e076aaa8266b7fb0f7b11b369907e1ad43"},
};
} // namespace

TEST_CASE("ESP known answers: seal produces the published packet, open recovers the payload") {
  for (const Kat& k : kKats) {
    SECTION(k.name) {
      Suite s;
      s.encr = crypto::find_keyword(crypto::TransformKind::encr, k.encr);
      REQUIRE(s.encr);
      Keys keys;
      keys.encr_key = hex(k.key_salt);
      auto p = params(s, keys, k.spi, k.esn, 64);
      EspSaOut out = make_out(p, nullptr);
      out.set_next_seq_for_test(k.seq);
      Bytes payload = hex(k.payload);
      Bytes expected = hex(k.packet);
      Bytes iv = hex(k.iv);

      Packet pkt(payload, out.overhead().header, out.overhead().max_trailer);
      EspSaOut::TestOverrides o;
      o.iv = iv;
      auto sealed = out.seal_in_place_for_test(pkt.span(), pkt.offset, pkt.len, k.next_header, o);
      REQUIRE(sealed);
      CHECK(sealed.seq == k.seq);
      CHECK(to_hex(sealed.packet) == to_hex(expected));
      CHECK(sealed.packet.size() == out.overhead().sealed_len(payload.size()));

      EspSaIn in = make_in(p);
      // Put the receiver where it would be just before this packet, so the ESN high
      // half is inferred as the sender used it (RFC 4303 A2.2).
      if (k.seq > 1) in.replay_window_for_test().commit(k.seq - 1);
      Bytes wire = expected;
      auto opened = in.open_in_place(wire);
      REQUIRE(opened.status == OpenStatus::ok);
      CHECK(opened.seq == k.seq);
      CHECK(opened.next_header == k.next_header);
      CHECK(to_hex(opened.payload) == to_hex(payload));
    }
  }
}

// Expected bytes computed independently with Python `cryptography` 48.0 (AES-128-CBC)
// and hashlib/hmac (HMAC-SHA-256 truncated to 128 bits, RFC 4868): there is no
// published whole-packet ESP vector for CBC + HMAC-SHA2. Keys 00..0f (encr) and
// 20..3f (integ), SPI 01020304, IV a0..af, payload (i*7+3) mod 256 for 40 bytes,
// Next Header 4, padding 1..6 to the 16-byte block.
TEST_CASE("ESP known answer: AES-128-CBC + HMAC-SHA-256-128, with and without ESN") {
  Suite s = suite("aes128-sha256");
  Keys keys;
  keys.encr_key = hex("000102030405060708090a0b0c0d0e0f");
  keys.integ_key = hex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
  Bytes payload(40);
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = uint8_t(i * 7 + 3);
  Bytes iv = hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  const char* no_esn =
      "0102030400000001a0a1a2a3a4a5a6a7a8a9aaabacadaeaf43b9c056cc9c709a426c2b4267f87ffd"
      "2c7125f02eae1dcf959cf1f87dca8f3df559f8e1e1e0d4d314ff4d8cce77ef94f691b840479d1619"
      "9014bccf8daeb152";
  // seq 2^32 + 5: the wire carries 00000005, the ICV covers seq_hi 00000001 appended.
  const char* with_esn =
      "0102030400000005a0a1a2a3a4a5a6a7a8a9aaabacadaeaf43b9c056cc9c709a426c2b4267f87ffd"
      "2c7125f02eae1dcf959cf1f87dca8f3df559f8e1e1e0d4d314ff4d8cce77ef94d5c6bec2647c3387"
      "56c4da76f504bf1b";
  for (bool esn : {false, true}) {
    CAPTURE(esn);
    SeededRng rng(1);
    auto p = params(s, keys, 0x01020304, esn);
    EspSaOut out = make_out(p, &rng);
    const uint64_t seq = esn ? (uint64_t(1) << 32 | 5) : 1;
    out.set_next_seq_for_test(seq);
    Packet pkt(payload, out.overhead().header, out.overhead().max_trailer);
    EspSaOut::TestOverrides o;
    o.iv = iv;
    auto sealed = out.seal_in_place_for_test(pkt.span(), pkt.offset, pkt.len, 4, o);
    REQUIRE(sealed);
    CHECK(to_hex(sealed.packet) == (esn ? with_esn : no_esn));

    EspSaIn in = make_in(p);
    if (seq > 1) in.replay_window_for_test().commit(seq - 1);
    Bytes wire = to_bytes(sealed.packet);
    auto opened = in.open_in_place(wire);
    REQUIRE(opened.status == OpenStatus::ok);
    CHECK(opened.seq == seq);
    CHECK(to_hex(opened.payload) == to_hex(payload));
  }
}
