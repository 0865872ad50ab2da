// What the capture decoder tests (test_decoder.cpp: keys and decryption,
// test_decoder_framing.cpp: fragments, truncation, ports, TCP, payload rules) share:
// a RecordSink that copies what each record said, the committed captures read into
// memory, key stores built from their key logs, and hand-made frames.
#pragma once

#include "base/hex.hpp"
#include "decode/decoder.hpp"
#include "decode/key_file.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace decoder_tests {

using namespace ikekit;
using namespace ikekit::decode;
using ikekit::test::data_dir;
using ikekit::test::read_text;
using nlohmann::json;
using wire::ExchangeType;
using wire::PayloadType;

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

inline std::vector<OwnedFrame> read_frames(const std::string& scenario) {
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

inline Summary decode_all(const std::vector<OwnedFrame>& frames, KeyStore& keys, Collect& sink) {
  Decoder d(keys, {});
  for (const auto& f : frames)
    d.feed(f.frame, sink);
  return d.summary();
}

// keys.jsonl lines, each parsed; `keep` chooses which to load, `edit` may change them.
template <class Keep, class Edit>
inline KeyStore keylog_store(const std::string& scenario, Keep keep, Edit edit) {
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

inline KeyStore full_keys(const std::string& scenario) {
  return keylog_store(
      scenario, [](const json&) { return true; }, [](json&) {});
}

struct Expected {
  const char* scenario;
  uint64_t packets, ike, esp, encrypted_ike;
};
// From tests/data/README.md (flows) and tshark-summary.jsonl.
inline const Expected kScenarios[] = {
    {"psk-aes256gcm16-ecp256", 20, 10, 10, 8}, {"psk-aes128-sha256-modp2048", 12, 6, 6, 4},
    {"psk-chacha20-x25519", 12, 6, 6, 4},      {"ecdsa-aes256gcm16-ecp256", 12, 6, 6, 4},
    {"rsa-aes256gcm16-ecp256", 14, 8, 6, 6},   {"ed25519-aes256gcm16-ecp256", 12, 6, 6, 4},
};

inline void check_all_decrypted(const Collect& sink) {
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
inline Bytes raw_udp(uint16_t sport, uint16_t dport, ByteView payload) {
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

inline Frame frame_of(int linktype, ByteView data, uint64_t number = 1) {
  Frame f;
  f.number = number;
  f.linktype = linktype;
  f.data = data;
  return f;
}

} // namespace decoder_tests
