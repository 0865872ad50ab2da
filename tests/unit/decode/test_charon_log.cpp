// Keys from daemon debug logs (lib/decode/log_keys.hpp, charon_log.cpp): charon's line
// formats (filelog with and without time stamps and IKE SA names, syslog, journal),
// interleaved threads, truncated dumps, missing blocks, blocks no SA matches; the match
// to a capture's SAs by the key schedule; Libreswan's "ikev2 I/R" lines.
// Logs are the committed strongSwan sessions' (tests/data/<scenario>/charon-keys.log),
// rewritten into the other formats.
#include "base/hex.hpp"
#include "decode/decoder.hpp"
#include "decode/key_file.hpp"
#include "secret_text.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::decode;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines)
    s += l + "\n";
  return s;
}

std::string log_of(const std::string& scenario) {
  return read_text(data_dir() + "/" + scenario + "/charon-keys.log");
}

// "13[IKE] <ia|1> text" -> {thread "13", group "IKE", text}
struct Parts {
  std::string thread, group, text;
};
Parts parts(const std::string& line) {
  size_t open = line.find('['), close = line.find(']');
  std::string text = line.substr(close + 2);
  if (text[0] == '<') text = text.substr(text.find("> ") + 2);
  return {line.substr(0, open), line.substr(open + 1, close - open - 1), text};
}

struct Counts : RecordSink {
  size_t sk = 0, sk_ok = 0, esp = 0, esp_ok = 0;
  std::vector<UnmatchedKeys> unmatched;
  void on_ike(const IkeRecord& r) override {
    if (!r.encrypted) return;
    ++sk;
    sk_ok += r.encrypted->decrypted && r.encrypted->integrity == Integrity::ok;
  }
  void on_esp(const EspRecord& r) override {
    ++esp;
    esp_ok += r.decrypted && r.integrity == Integrity::ok;
  }
  void on_malformed(const MalformedRecord&) override {}
  void on_unmatched_keys(const UnmatchedKeys& u) override { unmatched.push_back(u); }
};

// Decodes the scenario's capture with the keys of `text` (a charon log unless given).
Counts decode_with(const std::string& scenario, const std::string& text,
                   std::optional<KeyFileFormat> format = KeyFileFormat::charon_log) {
  KeyStore keys;
  auto r = parse_key_text(text, "charon.log", keys, format);
  INFO((r ? "" : r.error().field + ": " + r.error().message));
  REQUIRE(r);
  auto cap = Capture::open(data_dir() + "/" + scenario + "/capture.pcap");
  REQUIRE(cap);
  Decoder d(keys, {});
  Counts c;
  for (;;) {
    auto f = cap->next();
    REQUIRE(f);
    if (!*f) break;
    d.feed(**f, c);
  }
  d.finish(c);
  return c;
}

void check_all_decrypted(const Counts& c) {
  CHECK(c.sk > 0);
  CHECK(c.sk_ok == c.sk);
  CHECK(c.esp > 0);
  CHECK(c.esp_ok == c.esp);
  CHECK(c.unmatched.empty());
}

} // namespace

TEST_CASE("charon log: the committed log gives its IKE and Child SA key blocks",
          "[decode][charon_log]") {
  LogKeys log = parse_charon_log(log_of("psk-aes256gcm16-ecp256"), "k.log");
  CHECK(log.problems().empty());
  REQUIRE(log.ike().size() == 1);
  const LoggedIkeKeys& ike = log.ike()[0];
  REQUIRE(ike.spis);
  CHECK(to_hex_u64(ike.spis->first) == "2c4d213e350a2915");
  CHECK(to_hex_u64(ike.spis->second) == "f01c0c11a7d62fb6");
  CHECK(ike.dh_secret.size() == 32);
  CHECK(ike.skeyseed.size() == 32);
  CHECK(secret_hex(ike.sk_d).substr(0, 8) == "3aa0760d");
  CHECK(ike.sk_ei.size() == 36);    // AES-GCM-256 key || salt
  CHECK(ike.sk_ai.empty());         // AEAD: none logged
  REQUIRE(log.child().size() == 2); // IKE_AUTH and the rekeying CREATE_CHILD_SA
  const LoggedChildKeys& c = log.child()[1];
  CHECK(c.seed.size() == 64);
  CHECK(c.encr_i.size() == 36);
  REQUIRE(c.inbound);
  CHECK(c.inbound->spi == 0xb3fc9487);
  CHECK(c.inbound->dst.to_string() == "10.241.0.1");
  REQUIRE(c.outbound);
  CHECK(c.outbound->spi == 0xbcec7b2b);
  REQUIRE(c.initiator);
  CHECK(*c.initiator); // "parsed CREATE_CHILD_SA response": the logging host initiated
  REQUIRE(c.encr);
  CHECK(c.encr->keyword == "aes256gcm16");
}

TEST_CASE("charon log: filelog with time stamps, syslog and journal read alike",
          "[decode][charon_log]") {
  const std::string scenario = "psk-aes128-sha256-modp2048";
  const auto lines = lines_of(log_of(scenario));
  std::vector<std::string> timed, syslog, journal;
  for (const auto& l : lines) {
    Parts p = parts(l);
    // time_format = %b %e %T, time_add_ms, no ike_name, level in the group (log_level)
    timed.push_back("Nov 22 10:11:12.345 " + p.thread + "[" + p.group + "4] " + p.text);
    syslog.push_back("Nov 22 10:11:12 gw charon: " + l);
    // journalctl: one entry per message, continuation lines indented, no thread
    const bool continuation = p.text.find(": ") != std::string::npos && p.text[0] == ' ';
    journal.push_back(continuation ? std::string(44, ' ') + p.text
                                   : "Nov 22 10:11:12 gw charon-systemd[812]: " + p.text);
  }
  for (const auto* v : {&timed, &syslog, &journal}) {
    LogKeys log = parse_charon_log(join(*v), "k.log");
    CHECK(log.problems().empty());
    CHECK(log.ike().size() == 1);
    CHECK(log.child().size() == 1);
    check_all_decrypted(decode_with(scenario, join(*v)));
  }
  KeyStore store;
  CHECK(parse_key_text(join(journal), "j", store).value() == KeyFileFormat::charon_log);
  CHECK(parse_key_text(join(timed), "t", store).value() == KeyFileFormat::charon_log);
}

TEST_CASE("charon log: dumps of interleaved threads are kept apart", "[decode][charon_log]") {
  const std::string scenario = "psk-aes256gcm16-ecp256";
  auto lines = lines_of(log_of(scenario));
  // Move every line of thread 13 (the IKE key block) behind a line of another thread, so
  // each dump line of it sits between other threads' dump lines.
  std::vector<std::string> t13, rest, mixed;
  for (const auto& l : lines)
    (parts(l).thread == "13" ? t13 : rest).push_back(l);
  size_t a = 0, b = 0;
  while (a < t13.size() || b < rest.size()) {
    if (b < rest.size()) mixed.push_back(rest[b++]);
    if (a < t13.size()) mixed.push_back(t13[a++]);
  }
  LogKeys log = parse_charon_log(join(mixed), "k.log");
  CHECK(log.problems().empty());
  REQUIRE(log.ike().size() == 1);
  CHECK(log.ike()[0].sk_ei.size() == 36);
  CHECK(log.child().size() == 2);
  check_all_decrypted(decode_with(scenario, join(mixed)));
}

TEST_CASE("charon log: a truncated dump is reported by line, SKEYSEED still gives the keys",
          "[decode][charon_log]") {
  const std::string scenario = "psk-aes256gcm16-ecp256";
  auto lines = lines_of(log_of(scenario));
  size_t header = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find("Sk_ei secret => 36 bytes") != std::string::npos) header = i;
  REQUIRE(header > 0);
  lines.erase(lines.begin() + long(header) + 3); // the "  32: ..." line
  LogKeys log = parse_charon_log(join(lines), "k.log");
  REQUIRE(log.problems().size() == 1);
  CHECK(log.problems()[0].field == "k.log:" + std::to_string(header + 1) + ".sk_ei");
  CHECK(log.problems()[0].message == "\"Sk_ei secret\": dump cut after 32 of 36 bytes; not used");
  CHECK(log.ike()[0].sk_ei.empty());
  // SK_ei comes from SKEYSEED, the capture's nonces and SPIs (RFC 7296 2.14).
  check_all_decrypted(decode_with(scenario, join(lines)));

  // A dump cut by the end of the file.
  auto cut = lines_of(log_of(scenario));
  cut.resize(3);
  LogKeys end = parse_charon_log(join(cut), "k.log");
  REQUIRE(end.problems().size() == 1);
  CHECK(end.problems()[0].field == "k.log:2.natd_chunk");
}

TEST_CASE("charon log: only the DH secret and SKEYSEED: SK_* derived from the capture",
          "[decode][charon_log]") {
  for (const char* scenario : {"psk-aes256gcm16-ecp256", "psk-aes128-sha256-modp2048"}) {
    INFO(scenario);
    std::vector<std::string> kept;
    bool skip = false;
    for (const auto& l : lines_of(log_of(scenario))) {
      Parts p = parts(l);
      if (p.text.find(" => ") != std::string::npos)
        skip = p.text.rfind("Sk_", 0) == 0 || p.text.rfind("natd_chunk", 0) == 0;
      if (!skip) kept.push_back(l);
    }
    LogKeys log = parse_charon_log(join(kept), "k.log");
    REQUIRE(log.ike().size() == 1);
    CHECK(log.ike()[0].sk_d.empty());
    CHECK_FALSE(log.ike()[0].spis);
    check_all_decrypted(decode_with(scenario, join(kept)));
  }
}

TEST_CASE("charon log: missing blocks", "[decode][charon_log]") {
  const std::string scenario = "psk-aes256gcm16-ecp256";
  const auto lines = lines_of(log_of(scenario));
  std::vector<std::string> ike_only, chd_only;
  for (const auto& l : lines) {
    Parts p = parts(l);
    (p.group == "CHD" ? chd_only : ike_only).push_back(l);
    if (p.group == "ENC" || p.group == "CFG") chd_only.push_back(l); // at their default, 1
  }
  // chd below 4: the ESP keys still follow from SK_d (RFC 7296 2.17).
  check_all_decrypted(decode_with(scenario, join(ike_only)));
  // ike below 4: ESP from the logged Child SA keys, IKE messages have no key.
  Counts c = decode_with(scenario, join(chd_only));
  CHECK(c.esp_ok == c.esp);
  CHECK(c.sk_ok == 0);
  CHECK(c.unmatched.empty());
  // No key dumps at all: an error that says which log levels are needed.
  KeyStore store;
  auto r = parse_key_text("13[ENC] <ia|1> parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]\n",
                          "quiet.log", store);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::usage);
  CHECK(r.error().field == "quiet.log");
  CHECK(r.error().message.find("ike 4, chd 4") != std::string::npos);
}

TEST_CASE("charon log: blocks of another session match nothing and are reported",
          "[decode][charon_log]") {
  // The rsa session's keys against the psk capture: nothing decrypts, nothing is guessed.
  Counts c = decode_with("psk-aes256gcm16-ecp256", log_of("rsa-aes256gcm16-ecp256"));
  CHECK(c.sk_ok == 0);
  CHECK(c.esp_ok == 0);
  REQUIRE(c.unmatched.size() == 2); // one IKE SA, one Child SA
  CHECK(c.unmatched[0].kind == "ike_sa");
  CHECK(c.unmatched[0].file == "charon.log");
  CHECK(c.unmatched[0].line > 0);
  CHECK(c.unmatched[0].reason.find("SKEYSEED") != std::string::npos);
  CHECK(c.unmatched[1].kind == "child_sa");
  CHECK(c.unmatched[1].spi_in);
}

TEST_CASE("pluto log: ikev2 I/R lines (plutodebug=private) decrypt the IKE SA",
          "[decode][charon_log]") {
  // Libreswan's ikev2_log_parentSA format, from the CBC/HMAC session's keys.
  const std::string scenario = "psk-aes128-sha256-modp2048";
  nlohmann::json k;
  for (const auto& l : lines_of(read_text(data_dir() + "/" + scenario + "/keys.jsonl"))) {
    auto j = nlohmann::json::parse(l);
    if (j["type"] == "ike_sa") k = j;
  }
  REQUIRE(k.is_object());
  const std::string spis =
      "0x" + k["spi_i"].get<std::string>() + " 0x" + k["spi_r"].get<std::string>();
  std::string text = "Nov 22 10:11:12.123456: | ikev2 parent SA details\n"
                     "Nov 22 10:11:12.123456: | ikev2 I " +
                     spis + " sha256:0x" + k["sk_ai"].get<std::string>() + " aes128:0x" +
                     k["sk_ei"].get<std::string>() + "\n" + "Nov 22 10:11:12.123456: | ikev2 R " +
                     spis + " sha256:0x" + k["sk_ar"].get<std::string>() + " aes128:0x" +
                     k["sk_er"].get<std::string>() + "\n";
  KeyStore store;
  CHECK(parse_key_text(text, "pluto.log", store).value() == KeyFileFormat::pluto_log);
  Counts c = decode_with(scenario, text, std::nullopt);
  CHECK(c.sk > 0);
  CHECK(c.sk_ok == c.sk);
  CHECK(c.esp_ok == 0); // pluto logs no SK_d: no ESP keys
  // A damaged line names itself.
  LogKeys bad = parse_pluto_log("| ikev2 I 0x01 0x02 sha256:0x00\n", "pluto.log");
  REQUIRE(bad.problems().size() == 1);
  CHECK(bad.problems()[0].field == "pluto.log:1.ikev2");
}

TEST_CASE("save-keys esp_sa: \"AES-GCM [RFC4106]\" takes its ICV from \"ANY n bit\"",
          "[decode][key_file]") {
  // strongSwan's save-keys plugin names every AES-GCM ESP SA "AES-GCM [RFC4106]" (the
  // deprecated Wireshark name) with "ANY 64/128 bit authentication [no checking]" and an
  // empty key; Wireshark takes the ICV length from that column (packet-ipsec.c).
  const std::string scenario = "psk-aes256gcm16-ecp256";
  std::string text = read_text(data_dir() + "/" + scenario + "/wireshark/esp_sa");
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at))
      text.replace(at, from.size(), to), at += to.size();
  };
  replace_all("\"AES-GCM with 16 octet ICV [RFC4106]\"", "\"AES-GCM [RFC4106]\"");
  replace_all("\"NULL\"", "\"ANY 128 bit authentication [no checking]\"");
  Counts c = decode_with(scenario, text, std::nullopt);
  CHECK(c.esp > 0);
  CHECK(c.esp_ok == c.esp);

  auto row = [](const std::string& encr, const std::string& auth, const std::string& key) {
    return "\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x01020304\",\"" + encr + "\",\"0x" + key +
           "\",\"" + auth + "\",\"0x\"\n";
  };
  const std::string key20(40, 'a'), key36(72, 'b');
  struct Case {
    std::string encr, auth, key, keyword;
  } good[] = {
      {"AES-GCM [RFC4106]", "ANY 64 bit authentication [no checking]", key20, "aes128gcm8"},
      {"AES-GCM [RFC4106]", "ANY 96 bit authentication [no checking]", key36, "aes256gcm12"},
      {"AES-GCM [RFC4106]", "ANY 128 bit authentication [no checking]", key20, "aes128gcm16"},
      {"AES-GCM [RFC4106]", "NULL", key36, "aes256gcm16"},
      {"AES-GCM with 12 octet ICV [RFC4106]", "ANY 96 bit authentication [no checking]", key20,
       "aes128gcm12"},
  };
  for (const auto& g : good) {
    INFO(g.encr + " / " + g.auth);
    KeyStore store;
    REQUIRE(parse_key_text(row(g.encr, g.auth, g.key), "esp_sa", store));
    ChildSaKeys* k = store.find_child(0x01020304, IpAddress::parse("10.0.0.2").value());
    REQUIRE(k);
    REQUIRE(k->encr);
    CHECK(k->encr->keyword == g.keyword);
    CHECK(k->integ == nullptr);
  }
  // An unchecked ICV that contradicts the cipher's, or with a cipher that has its own
  // integrity algorithm: refused, naming the column, never guessed.
  for (const auto& [encr, auth] :
       {std::pair<std::string, std::string>{"AES-GCM with 12 octet ICV [RFC4106]",
                                            "ANY 64 bit authentication [no checking]"},
        {"AES-CBC [RFC3602]", "ANY 96 bit authentication [no checking]"},
        {"AES-GCM [RFC4106]", "ANY 256 bit authentication [no checking]"}}) {
    INFO(encr + " / " + auth);
    KeyStore store;
    auto r = parse_key_text(row(encr, auth, encr[4] == 'C' ? std::string(32, 'c') : key20),
                            "esp_sa", store);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "esp_sa:1.authentication");
  }
}

TEST_CASE("key files: the --keys-format names", "[decode][key_file]") {
  CHECK_FALSE(parse_key_format("auto").value());
  CHECK(parse_key_format("charon").value() == KeyFileFormat::charon_log);
  CHECK(parse_key_format("pluto").value() == KeyFileFormat::pluto_log);
  CHECK(parse_key_format("wireshark-esp").value() == KeyFileFormat::wireshark_esp);
  auto bad = parse_key_format("swan");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "--keys-format");
  CHECK(bad.error().message.find("\"swan\"") == 0);
  CHECK(key_file_format_name(KeyFileFormat::charon_log) == "strongswan_charon_log");
  // A forced format wins over detection: a key log read as a charon log has no keys.
  KeyStore store;
  auto r = parse_key_text("{\"type\":\"ike_sa\"}\n", "k", store, KeyFileFormat::charon_log);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "k");
}
