// The capture decoder (lib/decode/decoder.hpp) on the committed strongSwan captures
// (tests/data/<scenario>/, see tests/data/README.md): counts, keys from the key log,
// keys derived from SK_d (RFC 7296 2.17), algorithms inferred from the capture, wrong
// and missing keys, IKE fragments (RFC 7383), truncated frames, NAT keepalives (RFC 3948).
//
// Also the last step of the key-schedule cross-check (tests/unit/ike/test_strongswan_keys.cpp):
// keys computed by ike/keymat from charon's logged g^ir and the capture's nonces open
// every SK/SKF payload and ESP packet.
#include "base/hex.hpp"
#include "crypto/sk.hpp"
#include "decode/decoder.hpp"
#include "decode/key_file.hpp"
#include "decode/session.hpp"
#include "ike/keymat.hpp"
#include "test_files.hpp"
#include "wire/tcp_encap.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pcap/dlt.h>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::decode;
using nlohmann::json;
using wire::ExchangeType;
using wire::PayloadType;

namespace {

// What a record said, copied out of the sink call (records hold views).
struct IkeSeen {
  uint64_t frame = 0;
  ExchangeType exchange = ExchangeType::ike_sa_init;
  bool response = false;
  bool marker = false;
  bool encrypted = false;
  // EncryptedInfo without the inner payload views (they die with the record).
  struct Info {
    bool decrypted = false;
    Integrity integrity = Integrity::unchecked;
    std::optional<Error> problem;
    uint16_t fragment_number = 0;
    uint16_t total_fragments = 0;
    bool completes_message = false;
    bool has_inner = false;
  } info;
  std::vector<PayloadType> inner_types;
  RulesCheck rules = RulesCheck::unchecked;
  std::optional<Error> rules_error;
};
struct EspSeen {
  uint64_t frame = 0;
  uint32_t spi = 0;
  bool decrypted = false;
  Integrity integrity = Integrity::unchecked;
  std::optional<Error> problem;
  std::optional<InnerPacket> inner;
};

class Collect : public RecordSink {
public:
  std::vector<IkeSeen> ike;
  std::vector<EspSeen> esp;
  std::vector<MalformedRecord> malformed;

  void on_ike(const IkeRecord& r) override {
    IkeSeen s;
    s.frame = r.meta.frame;
    s.exchange = r.message->header.exchange_type;
    s.response = r.message->header.response();
    s.marker = r.non_esp_marker;
    s.rules = r.payload_rules;
    s.rules_error = r.payload_rules_error;
    if (r.encrypted) {
      s.encrypted = true;
      const EncryptedInfo& e = *r.encrypted;
      s.info = {e.decrypted,       e.integrity,         e.problem,          e.fragment_number,
                e.total_fragments, e.completes_message, e.inner.has_value()};
      if (e.inner)
        for (const auto& p : *e.inner)
          s.inner_types.push_back(p.payload_type());
    }
    ike.push_back(std::move(s));
  }
  void on_esp(const EspRecord& r) override {
    esp.push_back({r.meta.frame, r.spi, r.decrypted, r.integrity, r.problem, r.inner});
  }
  void on_malformed(const MalformedRecord& r) override { malformed.push_back(r); }

  size_t encrypted_ike() const {
    size_t n = 0;
    for (const auto& s : ike)
      n += s.encrypted;
    return n;
  }
};

// A capture's frames, copied (Capture's views live until the next frame).
struct OwnedFrame {
  Frame frame;
  Bytes bytes;
};

std::vector<OwnedFrame> read_frames(const std::string& scenario) {
  auto cap = Capture::open(data_dir() + "/" + scenario + "/capture.pcap");
  REQUIRE(cap);
  std::vector<OwnedFrame> out;
  for (;;) {
    auto f = cap->next();
    REQUIRE(f);
    if (!*f) break;
    OwnedFrame o{**f, Bytes((*f)->data.begin(), (*f)->data.end())};
    out.push_back(std::move(o));
  }
  for (auto& o : out)
    o.frame.data = o.bytes;
  return out;
}

Summary decode_all(const std::vector<OwnedFrame>& frames, KeyStore& keys, Collect& sink) {
  Decoder d(keys, {});
  for (const auto& f : frames)
    d.feed(f.frame, sink);
  return d.summary();
}

// keys.jsonl lines, each parsed; `keep` chooses which to load, `edit` may change them.
template <class Keep, class Edit>
KeyStore keylog_store(const std::string& scenario, Keep keep, Edit edit) {
  std::istringstream in(read_text(data_dir() + "/" + scenario + "/keys.jsonl"));
  std::string text, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line);
    if (!keep(j)) continue;
    edit(j);
    text += j.dump() + "\n";
  }
  KeyStore store;
  auto r = parse_key_text(text, scenario + "/keys.jsonl", store);
  REQUIRE(r);
  return store;
}

KeyStore full_keys(const std::string& scenario) {
  return keylog_store(
      scenario, [](const json&) { return true; }, [](json&) {});
}

struct Expected {
  const char* scenario;
  uint64_t packets, ike, esp, encrypted_ike;
};
// From tests/data/README.md (flows) and tshark-summary.jsonl.
const Expected kScenarios[] = {
    {"psk-aes256gcm16-ecp256", 20, 10, 10, 8}, {"psk-aes128-sha256-modp2048", 12, 6, 6, 4},
    {"psk-chacha20-x25519", 12, 6, 6, 4},      {"ecdsa-aes256gcm16-ecp256", 12, 6, 6, 4},
    {"rsa-aes256gcm16-ecp256", 14, 8, 6, 6},   {"ed25519-aes256gcm16-ecp256", 12, 6, 6, 4},
};

void check_all_decrypted(const Collect& sink) {
  for (const auto& s : sink.ike) {
    if (!s.encrypted) continue;
    INFO("frame " << s.frame << ": " << (s.info.problem ? s.info.problem->message : ""));
    CHECK(s.info.decrypted);
    CHECK(s.info.integrity == Integrity::ok);
  }
  for (const auto& e : sink.esp) {
    INFO("frame " << e.frame << " SPI " << to_hex_u32(e.spi) << ": "
                  << (e.problem ? e.problem->message : ""));
    CHECK(e.decrypted);
    CHECK(e.integrity == Integrity::ok);
  }
}

// An IPv4/UDP datagram as a DLT_RAW frame (checksums zero: the decoder ignores them).
Bytes raw_udp(uint16_t sport, uint16_t dport, ByteView payload) {
  Bytes b(28 + payload.size());
  b[0] = 0x45;
  store_be16(&b[2], uint16_t(b.size()));
  b[8] = 64;
  b[9] = 17;
  const uint8_t src[] = {192, 0, 2, 1}, dst[] = {192, 0, 2, 2};
  std::copy(src, src + 4, &b[12]);
  std::copy(dst, dst + 4, &b[16]);
  store_be16(&b[20], sport);
  store_be16(&b[22], dport);
  store_be16(&b[24], uint16_t(8 + payload.size()));
  std::copy(payload.begin(), payload.end(), b.begin() + 28);
  return b;
}

Frame frame_of(int linktype, ByteView data, uint64_t number = 1) {
  Frame f;
  f.number = number;
  f.linktype = linktype;
  f.data = data;
  return f;
}

} // namespace

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

TEST_CASE("decoder: SKF, the fragment that completes the message carries the inner payloads "
          "(RFC 7383 2.6)",
          "[decode][decoder]") {
  auto frames = read_frames("rsa-aes256gcm16-ecp256");
  KeyStore keys = full_keys("rsa-aes256gcm16-ecp256");
  Collect sink;
  decode_all(frames, keys, sink);
  std::vector<IkeSeen> frags;
  for (const auto& i : sink.ike)
    if (i.encrypted && i.info.total_fragments > 0) frags.push_back(i);
  REQUIRE(frags.size() == 4); // IKE_AUTH request and response, 2 SKF each
  for (size_t n = 0; n < 4; ++n) {
    const auto& f = frags[n];
    INFO("frame " << f.frame);
    CHECK(f.exchange == ExchangeType::ike_auth);
    CHECK(f.response == (n >= 2));
    CHECK(f.info.total_fragments == 2);
    CHECK(f.info.fragment_number == n % 2 + 1);
    CHECK(f.info.decrypted);
    CHECK(f.info.integrity == Integrity::ok);
    bool last = n % 2 == 1;
    CHECK(f.info.completes_message == last);
    CHECK(f.info.has_inner == last);
    if (!last) continue;
    const auto& t = f.inner_types;
    auto has = [&](PayloadType p) { return std::find(t.begin(), t.end(), p) != t.end(); };
    CHECK(has(f.response ? PayloadType::idr : PayloadType::idi));
    CHECK(has(PayloadType::cert));
    CHECK(has(PayloadType::auth));
    CHECK(has(PayloadType::sa));
    CHECK(has(PayloadType::tsi));
    CHECK(has(PayloadType::tsr));
  }
}

TEST_CASE("decoder: an unfragmented IKE_AUTH carries its inner payloads", "[decode][decoder]") {
  auto frames = read_frames("psk-aes128-sha256-modp2048");
  KeyStore keys = full_keys("psk-aes128-sha256-modp2048");
  Collect sink;
  decode_all(frames, keys, sink);
  REQUIRE(sink.ike.size() == 6);
  const auto& req = sink.ike[2];
  CHECK(req.exchange == ExchangeType::ike_auth);
  CHECK_FALSE(req.response);
  CHECK(req.info.total_fragments == 0);
  REQUIRE(req.info.has_inner);
  CHECK(std::count(req.inner_types.begin(), req.inner_types.end(), PayloadType::idi) == 1);
  CHECK(std::count(req.inner_types.begin(), req.inner_types.end(), PayloadType::auth) == 1);
  // The closing INFORMATIONAL carries a Delete.
  const auto& del = sink.ike[4];
  CHECK(del.exchange == ExchangeType::informational);
  CHECK(std::count(del.inner_types.begin(), del.inner_types.end(), PayloadType::d) == 1);
}

TEST_CASE("decoder: truncated frames are malformed records naming the field", "[decode][decoder]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  for (size_t idx : {size_t(0), size_t(2), size_t(4)}) { // IKE_SA_INIT, IKE_AUTH, ESP
    const auto& whole = frames[idx];
    for (size_t cut = 0; cut < whole.bytes.size(); ++cut) {
      INFO("frame " << whole.frame.number << " cut at " << cut);
      KeyStore keys = full_keys("psk-aes256gcm16-ecp256");
      Decoder d(keys, {});
      Collect sink;
      Frame f = whole.frame;
      f.data = ByteView(whole.bytes).first(cut);
      d.feed(f, sink);
      CHECK(d.summary().malformed == 1);
      REQUIRE(sink.malformed.size() == 1);
      CHECK(sink.malformed[0].kind == "frame");
      CHECK_FALSE(sink.malformed[0].error.field.empty());
      CHECK(sink.ike.empty());
      CHECK(sink.esp.empty());
    }
  }
}

TEST_CASE("decoder: a truncated IKE message in a whole UDP datagram names the IKE field",
          "[decode][decoder]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  // Frame 1: IKE_SA_INIT request on port 500, behind 14 + 20 + 8 bytes of headers.
  ByteView ike = ByteView(frames[0].bytes).subspan(42);
  REQUIRE(ike.size() > 200);
  std::set<std::string> fields;
  for (size_t cut = 0; cut < ike.size(); cut += 7) {
    Bytes ip = raw_udp(500, 500, ike.first(cut));
    KeyStore keys;
    Decoder d(keys, {});
    Collect sink;
    d.feed(frame_of(DLT_RAW, ip), sink);
    INFO("cut at " << cut);
    REQUIRE(sink.malformed.size() == 1);
    CHECK(sink.malformed[0].kind == "ike");
    const std::string& field = sink.malformed[0].error.field;
    CHECK((field.rfind("header", 0) == 0 || field.rfind("payload[", 0) == 0));
    fields.insert(field);
    CHECK(d.summary().ike_messages == 0);
  }
  CHECK(fields.size() > 2);
  // Whole, it decodes.
  Bytes ip = raw_udp(500, 500, ike);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, ip), sink);
  CHECK(sink.malformed.empty());
  CHECK(d.summary().ike_messages == 1);
}

TEST_CASE("decoder: ESP shorter than its header is malformed", "[decode][decoder]") {
  const uint8_t esp[] = {0, 0, 0, 1, 0, 0, 0};
  Bytes ip = raw_udp(4500, 4500, esp);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, ip), sink);
  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].kind == "esp");
  CHECK(sink.malformed[0].error.field == "udp.esp");
  CHECK(d.summary().esp_packets == 0);
}

TEST_CASE("decoder: NAT keepalives are counted, not reported (RFC 3948 2.3)", "[decode][decoder]") {
  const uint8_t keepalive[] = {0xff};
  Bytes ip = raw_udp(4500, 4500, keepalive);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, ip, 1), sink);
  d.feed(frame_of(DLT_RAW, ip, 2), sink);
  CHECK(d.summary().nat_keepalives == 2);
  CHECK(d.summary().packets == 2);
  CHECK(d.summary().malformed == 0);
  CHECK(d.summary().esp_packets == 0);
  CHECK(sink.ike.empty());
  CHECK(sink.esp.empty());
  CHECK(sink.malformed.empty());
  // Other UDP and unknown link types are "other".
  Bytes dns = raw_udp(53, 53, keepalive);
  d.feed(frame_of(DLT_RAW, dns, 3), sink);
  d.feed(frame_of(9999, dns, 4), sink);
  CHECK(d.summary().other == 2);
  CHECK(d.summary().malformed == 0);
}

TEST_CASE("decoder: --ike-port style extra IKE ports", "[decode][decoder]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  ByteView ike = ByteView(frames[0].bytes).subspan(42);
  Bytes ip = raw_udp(7500, 7500, ike);
  KeyStore keys;
  Collect sink;
  Decoder plain(keys, {});
  plain.feed(frame_of(DLT_RAW, ip), sink);
  CHECK(plain.summary().other == 1);
  DecoderOptions o;
  o.ike_ports.insert(7500);
  Decoder extra(keys, o);
  extra.feed(frame_of(DLT_RAW, ip), sink);
  CHECK(extra.summary().ike_messages == 1);
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

// Issue 11: IKE fragment reassembly is bounded. Fragments are sealed with the rsa
// scenario's SK_ei so they decrypt; what is kept is capped by fragment count, bytes and
// messages in reassembly per IKE SA, and each fragment thrown away is counted.
TEST_CASE("decoder: IKE fragment reassembly is bounded and drops are counted",
          "[decode][decoder]") {
  KeyStore keys = full_keys("rsa-aes256gcm16-ecp256");
  REQUIRE_FALSE(keys.ike_sas().empty());
  const auto& [spis, k] = *keys.ike_sas().begin();
  auto crypter = crypto::SkCrypter::create(*crypto::find_keyword("aes256gcm16"), k.sk_ei.reveal(),
                                           nullptr, {});
  REQUIRE(crypter);
  SeededRng rng(7);
  auto skf = [&](uint32_t mid, uint16_t number, uint16_t total, size_t len) {
    Bytes m(28 + crypter->sealed_size(len, true), 0);
    store_be64(&m[0], spis.first);
    store_be64(&m[8], spis.second);
    m[16] = 53;   // SKF (RFC 7383 2.5)
    m[17] = 0x20; // IKEv2
    m[18] = uint8_t(ExchangeType::ike_auth);
    m[19] = 0x08; // initiator
    store_be32(&m[20], mid);
    m[28] = number == 1 ? uint8_t(PayloadType::n) : 0;
    store_be16(&m[32], number);
    store_be16(&m[34], total);
    auto n = crypter->seal(m, 28, len, true, rng);
    REQUIRE(n);
    m.resize(*n);
    return raw_udp(500, 500, m);
  };
  Decoder d(keys, {});
  Collect sink;
  uint64_t frame = 0;
  auto feed = [&](const Bytes& b) { d.feed(frame_of(DLT_RAW, b, ++frame), sink); };

  feed(skf(100, 1, IkeTracker::kMaxIkeFragments + 1, 16)); // announces too many: not kept
  REQUIRE(sink.ike.back().info.problem);
  CHECK(sink.ike.back().info.problem->field == "skf.total_fragments");
  CHECK(d.summary().fragments_dropped == 1);

  for (uint32_t mid = 10; mid < 10 + IkeTracker::kMaxReassemblies + 1; ++mid)
    feed(skf(mid, 1, 2, 16));                // one more message than the SA keeps in reassembly
  CHECK(d.summary().fragments_dropped == 2); // the oldest (message 10) went
  feed(skf(10, 2, 2, 16));                   // its second half is dropped too
  CHECK_FALSE(sink.ike.back().info.completes_message);
  CHECK(d.summary().fragments_dropped == 3);
  feed(skf(11, 2, 2, 16)); // message 11 is still there
  CHECK(sink.ike.back().info.completes_message);

  const size_t big = 30000; // three of these exceed kMaxIkeMessageBytes
  feed(skf(50, 1, 3, big));
  feed(skf(50, 2, 3, big));
  feed(skf(50, 3, 3, big));
  REQUIRE(sink.ike.back().info.problem);
  CHECK(sink.ike.back().info.problem->field == "skf");
  CHECK_FALSE(sink.ike.back().info.completes_message);
  CHECK(d.summary().fragments_dropped == 3 + 3);
}

TEST_CASE("decoder: TCP on an RFC 9329 port is reassembled and framed; other TCP is other",
          "[decode][decoder][tcp]") {
  auto frames = read_frames("psk-aes256gcm16-ecp256");
  ByteView ike = ByteView(frames[0].bytes).subspan(42); // the IKE_SA_INIT request
  Bytes stream(ike.size() + 16);
  wire::TcpEncapWriter w(stream);
  REQUIRE(w.prefix());
  REQUIRE(w.ike(ike));
  stream.resize(w.size());
  // A TCP segment: the UDP helper's IPv4 header, then a 20-byte TCP header.
  auto segment = [](uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags, ByteView data,
                    size_t header = 20) {
    Bytes b = raw_udp(sport, dport, {});
    b.resize(20);
    b[9] = 6;
    Bytes t(header, 0);
    store_be16(&t[0], sport);
    store_be16(&t[2], dport);
    if (t.size() >= 20) {
      store_be32(&t[4], seq);
      t[12] = 5 << 4;
      t[13] = flags;
    }
    b.insert(b.end(), t.begin(), t.end());
    b.insert(b.end(), data.begin(), data.end());
    store_be16(&b[2], uint16_t(b.size()));
    return b;
  };
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  Bytes syn = segment(40000, 4500, 99, 0x02, {});
  Bytes one = segment(40000, 4500, 100, 0x10, ByteView(stream).first(100));
  Bytes two = segment(40000, 4500, 200, 0x10, ByteView(stream).subspan(100));
  d.feed(frame_of(DLT_RAW, syn, 1), sink);
  d.feed(frame_of(DLT_RAW, two, 2), sink); // ahead of the first: waits
  CHECK(sink.ike.empty());
  d.feed(frame_of(DLT_RAW, one, 3), sink);
  REQUIRE(sink.ike.size() == 1);
  CHECK(sink.ike[0].frame == 3);
  CHECK(sink.ike[0].marker);
  CHECK(d.summary().tcp_segments == 3);
  CHECK(d.summary().other == 0);
  // A cut TCP header on the port is a malformed frame; TCP elsewhere is not our business.
  Bytes cut = segment(40000, 4500, 0, 0, {}, 12);
  d.feed(frame_of(DLT_RAW, cut, 4), sink);
  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].error.field == "tcp");
  Bytes web = segment(40000, 443, 0, 0, {}, 12);
  d.feed(frame_of(DLT_RAW, web, 5), sink);
  Bytes web_ok = segment(40000, 443, 0, 0x10, stream);
  d.feed(frame_of(DLT_RAW, web_ok, 6), sink);
  CHECK(d.summary().other == 2);
  CHECK(sink.ike.size() == 1);
  // --tcp-port adds a port.
  DecoderOptions opts;
  opts.tcp_ports.insert(443);
  Decoder d443(keys, opts);
  Collect sink443;
  d443.feed(frame_of(DLT_RAW, web_ok, 1), sink443);
  CHECK(sink443.ike.size() == 1);
}

TEST_CASE("decoder: a message that breaks the payload rules is reported as the engine would "
          "drop it (RFC 7296 1.2), and still decoded",
          "[decode][decoder]") {
  // IKE_SA_INIT request with a Nonce but no SA and no KE payload.
  Bytes ike(28 + 20, 0);
  ike[7] = 1;     // SPIi
  ike[16] = 40;   // next payload: Nonce
  ike[17] = 0x20; // version 2.0
  ike[18] = 34;   // IKE_SA_INIT
  ike[19] = 0x08; // initiator, request
  store_be32(&ike[24], uint32_t(ike.size()));
  store_be16(&ike[30], 20); // Nonce payload length: 4 + 16
  Bytes frame = raw_udp(500, 500, ike);
  KeyStore keys;
  Decoder d(keys, {});
  Collect sink;
  d.feed(frame_of(DLT_RAW, frame), sink);
  REQUIRE(sink.ike.size() == 1);
  CHECK(sink.ike[0].rules == RulesCheck::violated);
  REQUIRE(sink.ike[0].rules_error);
  CHECK(sink.ike[0].rules_error->field == "sa");
  CHECK(d.summary().payload_rule_violations == 1);
  CHECK(d.summary().malformed == 0);
}
