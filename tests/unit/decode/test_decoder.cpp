// The capture decoder (lib/decode/decoder.hpp) on the committed strongSwan captures
// (tests/data/<scenario>/, see tests/data/README.md), its keys: counts, keys from the
// key log, keys derived from SK_d (RFC 7296 2.17), algorithms inferred from the
// capture, wrong and missing keys. Framing, fragments and malformed input:
// test_decoder_framing.cpp.
//
// Also the last step of the key-schedule cross-check (tests/unit/ike/test_strongswan_keys.cpp):
// keys computed by ike/keymat from charon's logged g^ir and the capture's nonces open
// every SK/SKF payload and ESP packet.
#include "decode/session.hpp"
#include "decoder_records.hpp"
#include "ike/keymat.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace decoder_tests;

TEST_CASE("decoder: counts per scenario, everything decrypts with keys.jsonl",
          "[decode][decoder]") {
  for (const auto& x : kScenarios) {
    SECTION(x.scenario) {
      auto frames = read_frames(x.scenario);
      KeyStore keys = full_keys(x.scenario);
      Collect sink;
      Summary s = decode_all(frames, keys, sink);
      CHECK(s.packets == x.packets);
      CHECK(s.ike_messages == x.ike);
      CHECK(s.esp_packets == x.esp);
      CHECK(sink.encrypted_ike() == x.encrypted_ike);
      CHECK(s.decrypted == x.encrypted_ike + x.esp);
      CHECK(s.undecryptable == 0);
      CHECK(s.malformed == 0);
      CHECK(s.other == 0);
      CHECK(sink.ike.size() == x.ike);
      CHECK(sink.esp.size() == x.esp);
      CHECK(sink.malformed.empty());
      check_all_decrypted(sink);
      // strongSwan's messages keep the payload rules; each one whose inner payloads
      // are known (all but SKF fragments that do not complete a message) was checked.
      CHECK(s.payload_rule_violations == 0);
      for (const auto& i : sink.ike) {
        bool known = !i.encrypted || i.info.has_inner;
        CHECK(i.rules == (known ? RulesCheck::ok : RulesCheck::unchecked));
      }
      // IKE floats to 4500 after IKE_SA_INIT (RFC 7296 2.23): the marker is there.
      for (const auto& i : sink.ike)
        CHECK(i.marker == (i.exchange != ExchangeType::ike_sa_init));
      // Tunnel mode, pings between X.Y.1.1 and X.Y.2.1: IPv4 / ICMP inside.
      for (const auto& e : sink.esp) {
        REQUIRE(e.inner);
        CHECK(e.inner->ip_version == 4);
        CHECK(e.inner->protocol == 1);
      }
    }
  }
}

TEST_CASE("decoder: DecodeSession gives the same summary from the key file", "[decode][decoder]") {
  SessionOptions o;
  o.capture = data_dir() + "/psk-aes256gcm16-ecp256/capture.pcap";
  o.key_files = {data_dir() + "/psk-aes256gcm16-ecp256/keys.jsonl"};
  auto session = DecodeSession::open(o);
  REQUIRE(session);
  REQUIRE((*session)->key_files().size() == 1);
  CHECK((*session)->key_files()[0].format == KeyFileFormat::ikekit_keylog);
  CHECK((*session)->key_files()[0].ike_sas == 1);
  CHECK((*session)->key_files()[0].child_sas == 4);
  Collect sink;
  REQUIRE((*session)->run(sink));
  CHECK((*session)->summary().decrypted == 18);
  CHECK((*session)->summary().undecryptable == 0);
}

TEST_CASE("decoder: an unreadable capture is Errc::io naming the path, a bad key file Errc::usage",
          "[decode][decoder]") {
  SessionOptions o;
  o.capture = data_dir() + "/no-such/capture.pcap";
  auto s = DecodeSession::open(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::io);
  CHECK_THAT(s.error().field + " " + s.error().message, Catch::Contains("no-such/capture.pcap"));
  o.capture = data_dir() + "/README.md"; // not a capture
  s = DecodeSession::open(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::io);
  o.capture = data_dir() + "/psk-aes256gcm16-ecp256/capture.pcap";
  o.key_files = {data_dir() +
                 "/psk-aes256gcm16-ecp256/meta.json"}; // JSON, but not one object per line
  s = DecodeSession::open(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::usage);
  CHECK_THAT(s.error().field, Catch::StartsWith(o.key_files[0] + ":1."));
}

TEST_CASE("decoder: with only the ike_sa line, ESP keys are derived from SK_d (RFC 7296 2.17)",
          "[decode][decoder]") {
  for (const auto& x : kScenarios) {
    SECTION(x.scenario) {
      auto frames = read_frames(x.scenario);
      KeyStore keys = keylog_store(
          x.scenario, [](const json& j) { return j["type"] == "ike_sa"; }, [](json&) {});
      REQUIRE(keys.child_sas().empty());
      Collect sink;
      Summary s = decode_all(frames, keys, sink);
      CHECK(s.decrypted == x.encrypted_ike + x.esp);
      CHECK(s.undecryptable == 0);
      check_all_decrypted(sink);
      // The derived keys are charon's (including the rekeyed Child SA of
      // psk-aes256gcm16-ecp256, derived from the CREATE_CHILD_SA nonces).
      KeyStore logged = full_keys(x.scenario);
      REQUIRE(keys.child_sas().size() == logged.child_sas().size());
      for (const auto& c : logged.child_sas()) {
        INFO("SPI " << to_hex_u32(c.spi));
        ChildSaKeys* d = keys.find_child(c.spi, *c.dst);
        REQUIRE(d);
        CHECK(d->source == KeySource::derived);
        CHECK(to_hex(d->encr_key.reveal()) == to_hex(c.encr_key.reveal()));
        CHECK(to_hex(d->integ_key.reveal()) == to_hex(c.integ_key.reveal()));
        CHECK(d->encr == c.encr);
        CHECK(d->integ == c.integ);
        CHECK(d->src == c.src);
      }
    }
  }
}

TEST_CASE("decoder: key files that name no algorithms: inferred from the capture",
          "[decode][decoder]") {
  for (const char* scenario :
       {"psk-aes128-sha256-modp2048", "psk-chacha20-x25519", "psk-aes256gcm16-ecp256"}) {
    SECTION(scenario) {
      auto frames = read_frames(scenario);
      KeyStore keys = keylog_store(
          scenario, [](const json&) { return true; },
          [](json& j) {
            j.erase("encr");
            j.erase("integ");
            j.erase("prf");
          });
      for (const auto& [spis, k] : keys.ike_sas())
        CHECK(k.encr == nullptr);
      Collect sink;
      Summary s = decode_all(frames, keys, sink);
      CHECK(s.undecryptable == 0);
      CHECK(s.decrypted == sink.encrypted_ike() + sink.esp.size());
      check_all_decrypted(sink);
    }
  }
}

TEST_CASE("decoder: Wireshark tables decrypt the same as the key log", "[decode][decoder]") {
  for (const char* scenario : {"psk-aes128-sha256-modp2048", "rsa-aes256gcm16-ecp256"}) {
    SECTION(scenario) {
      auto frames = read_frames(scenario);
      KeyStore keys;
      REQUIRE(
          load_key_file(data_dir() + "/" + scenario + "/wireshark/ikev2_decryption_table", keys));
      REQUIRE(load_key_file(data_dir() + "/" + scenario + "/wireshark/esp_sa", keys));
      Collect sink;
      Summary s = decode_all(frames, keys, sink);
      CHECK(s.undecryptable == 0);
      check_all_decrypted(sink);
    }
  }
}

TEST_CASE("decoder: a wrong key fails integrity, is counted undecryptable, and decoding goes on",
          "[decode][decoder]") {
  for (const char* scenario :
       {"psk-aes128-sha256-modp2048", "psk-aes256gcm16-ecp256", "psk-chacha20-x25519"}) {
    SECTION(scenario) {
      auto flip_first = [](json& j, const char* key) {
        if (!j.contains(key) || !j[key].is_string()) return;
        std::string h = j[key].get<std::string>();
        h[0] = h[0] == '0' ? '1' : '0';
        j[key] = h;
      };
      // Every integrity and encryption key wrong by one bit.
      KeyStore keys = keylog_store(
          scenario, [](const json&) { return true; },
          [&](json& j) {
            for (const char* k : {"sk_ai", "sk_ar", "sk_ei", "sk_er", "encr_key", "integ_key"})
              flip_first(j, k);
          });
      auto frames = read_frames(scenario);
      Collect sink;
      Summary s = decode_all(frames, keys, sink);
      CHECK(s.packets == frames.size());
      CHECK(s.decrypted == 0);
      CHECK(s.undecryptable == sink.encrypted_ike() + sink.esp.size());
      CHECK(s.malformed == 0);
      for (const auto& i : sink.ike) {
        if (!i.encrypted) continue;
        CHECK_FALSE(i.info.decrypted);
        CHECK(i.info.integrity == Integrity::failed);
        REQUIRE(i.info.problem);
        CHECK(i.info.problem->code == Errc::integrity);
        CHECK_FALSE(i.info.has_inner);
      }
      for (const auto& e : sink.esp) {
        CHECK_FALSE(e.decrypted);
        CHECK(e.integrity == Integrity::failed);
        REQUIRE(e.problem);
        CHECK(e.problem->code == Errc::integrity);
        CHECK(e.problem->field == "esp.icv");
      }
    }
  }
}

TEST_CASE("decoder: keys of another capture are no keys (Errc::not_found)", "[decode][decoder]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  for (bool with_keys : {false, true}) {
    KeyStore keys = with_keys ? full_keys("ecdsa-aes256gcm16-ecp256") : KeyStore();
    Collect sink;
    Summary s = decode_all(frames, keys, sink);
    CHECK(s.decrypted == 0);
    CHECK(s.undecryptable == 18);
    CHECK(s.malformed == 0);
    for (const auto& i : sink.ike) {
      if (!i.encrypted) continue;
      REQUIRE(i.info.problem);
      CHECK(i.info.problem->code == Errc::not_found);
      CHECK(i.info.problem->field == "keys");
      CHECK_THAT(i.info.problem->message, Catch::Contains("2c4d213e350a2915"));
      CHECK(i.info.integrity == Integrity::unchecked);
    }
    for (const auto& e : sink.esp) {
      REQUIRE(e.problem);
      CHECK(e.problem->code == Errc::not_found);
      CHECK_THAT(e.problem->message, Catch::Contains(to_hex_u32(e.spi)));
      CHECK(e.integrity == Integrity::unchecked);
    }
  }
}

TEST_CASE("decoder: ESP keys without algorithms and no IKE exchange in view: not_found",
          "[decode][decoder]") {
  // Only the ESP frames, and ESP keys that name no algorithms: nothing to infer them from.
  auto all = read_frames("psk-aes128-sha256-modp2048");
  std::vector<OwnedFrame> esp_only;
  for (size_t i = 4; i < 10; ++i)
    esp_only.push_back(all[i]);
  for (auto& f : esp_only)
    f.frame.data = f.bytes;
  KeyStore keys = keylog_store(
      "psk-aes128-sha256-modp2048", [](const json& j) { return j["type"] == "child_sa"; },
      [](json& j) {
        j.erase("encr");
        j.erase("integ");
      });
  Collect sink;
  Summary s = decode_all(esp_only, keys, sink);
  CHECK(s.esp_packets == 6);
  CHECK(s.undecryptable == 6);
  for (const auto& e : sink.esp) {
    REQUIRE(e.problem);
    CHECK(e.problem->code == Errc::not_found);
    CHECK(e.problem->field == "algorithms");
  }
}

TEST_CASE("decoder: the IKE_SA_INIT nonces in the capture are those of meta.json",
          "[decode][decoder]") {
  for (const auto& x : kScenarios) {
    INFO(x.scenario);
    json meta = json::parse(read_text(data_dir() + "/" + x.scenario + "/meta.json"));
    auto frames = read_frames(x.scenario);
    KeyStore keys;
    Decoder d(keys, {});
    Collect sink;
    for (const auto& f : frames)
      d.feed(f.frame, sink);
    const json& sa = meta["ike_sas"][0];
    auto spi_i = from_hex(sa["spi_i"].get<std::string>(), "spi_i");
    auto spi_r = from_hex(sa["spi_r"].get<std::string>(), "spi_r");
    REQUIRE((spi_i && spi_r));
    auto it = d.tracker().sas().find({load_be64(spi_i->data()), load_be64(spi_r->data())});
    REQUIRE(it != d.tracker().sas().end());
    CHECK(to_hex(it->second.ni) == sa["nonce_i"].get<std::string>());
    CHECK(to_hex(it->second.nr) == sa["nonce_r"].get<std::string>());
    REQUIRE(it->second.encr);
    CHECK(it->second.encr->keyword == sa["encr"].get<std::string>());
    REQUIRE(it->second.prf);
    CHECK(it->second.prf->keyword == sa["prf"].get<std::string>());
  }
}

TEST_CASE("decoder: keys computed from charon's g^ir open every SK/SKF payload and ESP packet "
          "(RFC 7296 2.14, 2.17)",
          "[decode][decoder][strongswan]") {
  // The last step of tests/unit/ike/test_strongswan_keys.cpp: no key from keys.jsonl
  // is used. SKEYSEED and SK_* come from meta.json's g^ir, nonces and SPIs through
  // ike::derive_ike_keys; the ESP keys are derived by the decoder from that SK_d.
  for (const auto& x : kScenarios) {
    SECTION(x.scenario) {
      json meta = json::parse(read_text(data_dir() + "/" + x.scenario + "/meta.json"));
      KeyStore keys;
      for (const json& sa : meta["ike_sas"]) {
        ike::IkeTransforms t{
            crypto::find_keyword(crypto::TransformKind::encr, sa["encr"].get<std::string>()),
            sa["integ"].is_null() ? nullptr
                                  : crypto::find_keyword(crypto::TransformKind::integ,
                                                         sa["integ"].get<std::string>()),
            crypto::find_keyword(crypto::TransformKind::prf, sa["prf"].get<std::string>())};
        auto hex = [](const json& j) {
          auto b = from_hex(j.get<std::string>(), "meta");
          REQUIRE(b);
          return *b;
        };
        Bytes spi_i = hex(sa["spi_i"]), spi_r = hex(sa["spi_r"]);
        auto k = ike::derive_ike_keys(t, hex(sa["nonce_i"]), hex(sa["nonce_r"]),
                                      hex(sa["dh_shared_secret"]), load_be64(spi_i.data()),
                                      load_be64(spi_r.data()));
        REQUIRE(k);
        IkeSaKeys ik;
        ik.spi_i = load_be64(spi_i.data());
        ik.spi_r = load_be64(spi_r.data());
        ik.sk_d = std::move(k->sk_d);
        ik.sk_ai = std::move(k->sk_ai);
        ik.sk_ar = std::move(k->sk_ar);
        ik.sk_ei = std::move(k->sk_ei);
        ik.sk_er = std::move(k->sk_er);
        keys.add(std::move(ik)); // no algorithm names: inferred from IKE_SA_INIT
      }
      auto frames = read_frames(x.scenario);
      Collect sink;
      Summary s = decode_all(frames, keys, sink);
      CHECK(sink.encrypted_ike() == x.encrypted_ike);
      CHECK(s.decrypted == x.encrypted_ike + x.esp);
      CHECK(s.undecryptable == 0);
      check_all_decrypted(sink);
      for (const auto& i : sink.ike)
        if (i.encrypted && (i.info.total_fragments == 0 || i.info.completes_message))
          CHECK(i.info.has_inner);
    }
  }
}
