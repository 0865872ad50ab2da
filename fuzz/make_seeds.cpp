// Writes the seed inputs (files named seed-*) of the fuzz corpora whose input formats
// are our own, from real material: the committed test PKI (tests/data/pki) and the
// strongSwan captures' certificates, AUTH data signed with the PKI's keys, the captures'
// key logs and Wireshark tables, control requests from tests/ctl, and ESP programs that
// walk the replay window across 2^32, EAP-MSCHAPv2 exchanges and RADIUS responses. Inputs libFuzzer
// found (named by their hash) are kept. Run after changing a target's input format:
//   cmake --build build --target make-fuzz-seeds && build/fuzz/make-fuzz-seeds
// ECDSA and RSA-PSS signatures are randomised, so those seeds change on every run.
#include "base/hex.hpp"
#include "crypto/sign.hpp"
#include "crypto/x509.hpp"
#include "eap/peer.hpp"
#include "eap/server.hpp"
#include "fuzz_input.hpp"
#include "radius/client.hpp"
#include "radius/mppe.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <vector>

using namespace ikekit;
using namespace ikekit::crypto;
namespace fs = std::filesystem;

namespace {

// The checkout: tests/data (the link beside this binary, fuzz/CMakeLists.txt) is in it.
const fs::path kSource = fs::canonical(fs::path(ikekit::test::data_dir()) / ".." / "..");
fs::path g_corpus = kSource / "fuzz" / "corpus";

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  IKEKIT_FUZZ_CHECK(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write(const std::string& target, const std::string& name, ByteView data) {
  fs::path dir = g_corpus / target;
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  IKEKIT_FUZZ_CHECK(out.good());
}

struct Out {
  Bytes b;
  Out& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Out& u16(uint16_t v) { return u8(uint8_t(v >> 8)).u8(uint8_t(v)); }
  Out& u32(uint32_t v) { return u16(uint16_t(v >> 16)).u16(uint16_t(v)); }
  Out& u64(uint64_t v) { return u32(uint32_t(v >> 32)).u32(uint32_t(v)); }
  Out& bytes(ByteView v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  Out& text(std::string_view s) { return bytes(as_bytes(s)); }
};

Certificate pem_cert(const fs::path& path) {
  auto c = Certificate::from_pem(read(path));
  IKEKIT_FUZZ_CHECK(c.has_value());
  return *c;
}

// --- fuzz_x509: flags, id_type, id_len, id, [time], DER chain or PEM text -----------

void x509_seed(const std::string& name, uint8_t id_type, std::string_view id,
               const std::vector<std::string>& chain, std::optional<uint32_t> time = {}) {
  Out o;
  o.u8(time ? 2 : 0).u8(id_type).u8(uint8_t(id.size())).text(id);
  if (time) o.u32(*time);
  for (const auto& file : chain) {
    Bytes der = pem_cert(file[0] == '/' ? fs::path(file) : kSource / "tests/data/pki" / file).der();
    o.u16(uint16_t(der.size())).bytes(der);
  }
  write("fuzz_x509", name, o.b);
}

void x509_seeds() {
  const std::string swan = (kSource / "tests/data/ecdsa-aes256gcm16-ecp256/pki").string();
  const std::string ed = (kSource / "tests/data/ed25519-aes256gcm16-ecp256/pki").string();
  x509_seed("p256-fqdn", id_type::fqdn, "sun.ikekit.test", {"ee-p256.crt"});
  x509_seed("p384-via-intermediate", id_type::fqdn, "carol.ikekit.test",
            {"ee-p384.crt", "int-p384.crt"});
  x509_seed("p384-no-intermediate", id_type::fqdn, "carol.ikekit.test", {"ee-p384.crt"});
  x509_seed("rsa-ipv4", id_type::ipv4_addr, std::string_view("\xc0\x00\x02\x01", 4),
            {"ee-rsa.crt"});
  x509_seed("ed25519-fqdn", id_type::fqdn, "dave.ikekit.test", {"ee-ed25519.crt"});
  Bytes dn = pem_cert(kSource / "tests/data/pki/ee-p521.crt").subject_der();
  x509_seed("p521-dn", id_type::der_asn1_dn,
            std::string_view(reinterpret_cast<const char*>(dn.data()), dn.size()), {"ee-p521.crt"});
  x509_seed("nosan-cn", id_type::fqdn, "nosan.ikekit.test", {"ee-nosan-p256.crt"});
  x509_seed("no-digital-signature", id_type::fqdn, "x", {"ee-noku-p256.crt"});
  x509_seed("codesign-only", id_type::rfc822_addr, "x@y", {"ee-codesign-p256.crt"});
  auto p256 = pem_cert(kSource / "tests/data/pki/ee-p256.crt");
  x509_seed("expired", id_type::ipv6_addr,
            std::string_view("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16), {"ee-p256.crt"},
            uint32_t(p256.not_after_time() + 1));
  x509_seed("ca-as-end-entity", id_type::fqdn, "x", {"int-p384.crt"});
  x509_seed("strongswan-ecdsa-unknown-ca", id_type::fqdn, "left.ia.test",
            {swan + "/left-ecdsa.crt", swan + "/ca-ecdsa.crt"});
  x509_seed("strongswan-ed25519", id_type::fqdn, "right.ia.test",
            {ed + "/right-ed25519.crt", ed + "/ca-ed25519.crt"});
  Out pem; // PEM: a bundle
  pem.u8(1).u8(id_type::rfc822_addr).u8(16).text("moon@ikekit.test");
  pem.text(read(kSource / "tests/data/pki/bundle-rsa-p256.crt"));
  write("fuzz_x509", "pem-bundle", pem.b);
}

// --- fuzz_auth_sign: mode, then method + AUTH data / AlgorithmIdentifier / hashes ----

constexpr std::string_view kSignedOctets = "ikekit fuzz_auth_sign: the octets every seed signs";
constexpr const char* kKeyFiles[] = {"ee-rsa.key", "ee-p256.key", "ee-p384.key", "ee-p521.key",
                                     "ee-ed25519.key"};

void auth_sign_seeds() {
  for (uint8_t k = 0; k < 5; ++k) {
    auto key = PrivateKey::load_pem(read(kSource / "tests/data/pki" / kKeyFiles[k]));
    IKEKIT_FUZZ_CHECK(key.has_value());
    bool first = true;
    for (int s = 0; s <= int(AuthScheme::sig_ed25519); ++s) {
      auto scheme = AuthScheme(s);
      if (!scheme_allowed_for(scheme, key->type())) continue;
      auto data = key->sign_auth(scheme, as_bytes(kSignedOctets));
      IKEKIT_FUZZ_CHECK(data.has_value());
      std::string name =
          std::string(key_type_name(key->type())) + "-" + std::string(auth_scheme_name(scheme));
      write("fuzz_auth_sign", "verify-" + name,
            Out().u8(k).u8(auth_method_of(scheme)).bytes(*data).b);
      if (first) { // mode 3: the same, with the key as SubjectPublicKeyInfo
        Bytes spki = key->public_key().spki_der();
        write("fuzz_auth_sign", "spki-" + name,
              Out()
                  .u8(3 << 3)
                  .u16(uint16_t(spki.size()))
                  .bytes(spki)
                  .u8(auth_method_of(scheme))
                  .bytes(*data)
                  .b);
        first = false;
      }
      if (auth_method_of(scheme) == auth_method::digital_signature)
        write("fuzz_auth_sign", "algid-" + std::string(auth_scheme_name(scheme)),
              Out().u8(1 << 3).bytes(algorithm_identifier(scheme)).b);
    }
  }
  // Variants other implementations send (RFC 7427 A.4.3's explicit trailerField,
  // sha256WithRSAEncryption without NULL parameters).
  Bytes pss(algorithm_identifier(AuthScheme::sig_rsa_pss_sha256).begin(),
            algorithm_identifier(AuthScheme::sig_rsa_pss_sha256).end());
  pss[1] = 0x46;
  pss[14] = 0x39;
  for (uint8_t b : {0xa3, 0x03, 0x02, 0x01, 0x01})
    pss.push_back(b);
  write("fuzz_auth_sign", "algid-pss-explicit-trailer", Out().u8(1 << 3).bytes(pss).b);
  Bytes no_null(algorithm_identifier(AuthScheme::sig_rsa_sha256).begin(),
                algorithm_identifier(AuthScheme::sig_rsa_sha256).end() - 2);
  no_null[1] = 0x0b;
  write("fuzz_auth_sign", "algid-rsa-sha256-no-null", Out().u8(1 << 3).bytes(no_null).b);
  // SIGNATURE_HASH_ALGORITHMS as strongSwan sends it, and ours.
  write("fuzz_auth_sign", "hashes-strongswan", Out().u8(2 << 3).u16(2).u16(3).u16(4).u16(5).b);
  write("fuzz_auth_sign", "hashes-sha1-identity", Out().u8(2 << 3).u16(1).u16(5).b);
}

// --- fuzz_key_file: name, then the file ----------------------------------------------

void key_file_seeds() {
  const fs::path data = kSource / "tests/data";
  for (const char* scenario :
       {"psk-aes256gcm16-ecp256", "psk-aes128-sha256-modp2048", "psk-chacha20-x25519"}) {
    const fs::path dir = data / scenario;
    write("fuzz_key_file", std::string(scenario) + "-keylog",
          Out().u8(0).text(read(dir / "keys.jsonl")).b);
    write("fuzz_key_file", std::string(scenario) + "-esp_sa",
          Out().u8(1).text(read(dir / "wireshark/esp_sa")).b);
    write("fuzz_key_file", std::string(scenario) + "-ikev2_decryption_table",
          Out().u8(2).text(read(dir / "wireshark/ikev2_decryption_table")).b);
    write("fuzz_key_file", std::string(scenario) + "-charon-log",
          Out().u8(0).text(read(dir / "charon-keys.log")).b);
  }
  // A pluto log (Libreswan ikev2_log_parentSA, plutodebug=private), given as --keys-format
  // pluto, with the keys of the CBC/HMAC session, as tests/unit/decode builds it.
  write("fuzz_key_file", "pluto-log",
        Out()
            .u8(5 << 2)
            .text("Nov 22 10:11:12.123456: | ikev2 parent SA details\n"
                  "Nov 22 10:11:12.123456: | ikev2 I 0x8b2bd2b1e9d3a1f2 0x37a1ec6a8b8c9d0e "
                  "sha256:0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff "
                  "aes128:0x00112233445566778899aabbccddeeff\n"
                  "Nov 22 10:11:12.123456: | ikev2 R 0x8b2bd2b1e9d3a1f2 0x37a1ec6a8b8c9d0e "
                  "sha256:0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100 "
                  "aes128:0xffeeddccbbaa99887766554433221100\n")
            .b);
}

// --- fuzz_ctl: the client's bytes, NUL t = a pause of t seconds ----------------------

void ctl_seed(const std::string& name, const std::vector<std::string>& writes) {
  Out o;
  for (const auto& w : writes) {
    if (w.rfind("pause:", 0) == 0) {
      o.u8(0).u8(uint8_t(std::stoi(w.substr(6))));
      continue;
    }
    o.text(w).text("\n");
  }
  write("fuzz_ctl", name, o.b);
}

void ctl_seeds() {
  // Requests as tests/ctl and ikectl send them.
  ctl_seed("queries", {R"({"id":1,"command":"status"})", R"({"id":2,"command":"list-conns"})",
                       R"({"id":3,"command":"list-sas","args":{"ike":"home"}})"});
  ctl_seed("initiate-rekey-terminate",
           {R"({"id":1,"command":"initiate","args":{"name":"home","wait":true}})", "pause:1",
            R"({"id":2,"command":"list-sas"})",
            R"({"id":3,"command":"rekey","args":{"child":"child","wait":true}})", "pause:1",
            R"({"id":4,"command":"rekey","args":{"ike":"home","wait":true}})", "pause:1",
            R"({"id":5,"command":"terminate","args":{"child":"child","wait":true}})", "pause:1",
            R"({"id":6,"command":"terminate","args":{"ike":"home","wait":true}})", "pause:1",
            R"({"id":7,"command":"status"})"});
  ctl_seed("monitor-timeouts",
           {R"({"id":"m","command":"monitor"})",
            R"({"id":1,"command":"initiate","args":{"name":"office","wait":true}})", "pause:2",
            "pause:5", "pause:30", R"({"id":2,"command":"initiate","args":{"name":"home"}})",
            "pause:1", R"({"id":3,"command":"list-sas"})", "pause:200"});
  ctl_seed("load-unload",
           {R"({"id":1,"command":"load","args":{"config":"/missing.json"}})",
            R"({"id":2,"command":"load","args":{"config":"/responder.json"}})",
            R"({"id":3,"command":"list-conns"})",
            R"({"id":4,"command":"load","args":{"config":"/initiator.json"}})", "pause:1",
            R"({"id":5,"command":"unload","args":{"name":"late","wait":true}})", "pause:1",
            R"({"id":6,"command":"unload","args":{"name":"home","wait":true}})",
            R"({"id":7,"command":"initiate","args":{"name":"home"}})"});
  ctl_seed("errors",
           {R"({"id":1})", R"({"id":1,"command":3})", R"({"id":[1],"command":"status"})",
            R"({"id":1,"command":"status","args":[]})", R"({"id":1,"command":"status","extra":1})",
            R"({"id":1,"command":"explode"})", R"({"id":2,"command":"initiate"})",
            R"({"id":3,"command":"initiate","args":{"name":"nope"}})",
            R"({"id":4,"command":"initiate","args":{"name":"home","child":"other"}})",
            R"({"id":5,"command":"terminate","args":{}})",
            R"({"id":6,"command":"terminate","args":{"ike":"home","child":"x"}})",
            R"({"id":8,"command":"rekey","args":{"child":"deadbeef"}})",
            R"({"id":9,"command":"status","args":{"verbose":true}})",
            R"({"id":10,"command":"initiate","args":{"name":"home","wait":"yes"}})",
            R"({"id":14,"command":"unload","args":{}})", "{oops", "\r", "[1,2]"});
  Out split; // one request cut across writes, then two in one write
  split.text(R"({"id":1,"comm)")
      .u8(0)
      .u8(0)
      .text(R"(and":"status"})"
            "\n")
      .text(R"({"id":2,"command":"status"})"
            "\n"
            R"({"id":3,"command":"monitor"})"
            "\n");
  write("fuzz_ctl", "split-writes", split.b);
}

// --- fuzz_esp_open: config, then ops ---------------------------------------------------

enum Op : uint8_t { ahead, behind, cross, far, absolute, again, flip, raw };

void esp_seeds() {
  constexpr uint8_t cbc = 1, esn = 2, w64 = 1 << 2, w100 = 2 << 2, w1024 = 3 << 2;
  constexpr uint8_t dummy = 0x40, bad_padding = 0x80;
  // GCM without ESN, a new SA: in order, reordered, replays, a flipped bit, the window's
  // edge, a dummy packet, bad padding.
  write("fuzz_esp_open", "gcm-window",
        Out()
            .u8(0)
            .u64(0)
            .u8(ahead)
            .u8(20)
            .u8(0)
            .u8(ahead)
            .u8(40)
            .u8(2)
            .u8(behind)
            .u8(20)
            .u16(1)
            .u8(again)
            .u8(0)
            .u8(again)
            .u8(1)
            .u8(flip)
            .u8(0)
            .u16(9)
            .u8(4)
            .u8(ahead)
            .u8(0)
            .u8(40)
            .u8(behind)
            .u8(0)
            .u16(31)
            .u8(behind)
            .u8(0)
            .u16(32)
            .u8(ahead)
            .u8(dummy | 3)
            .u8(0)
            .u8(ahead)
            .u8(bad_padding | 5)
            .u8(0)
            .b);
  // GCM with ESN just below 2^32: cross it, come back into the window from above, go
  // left of it.
  write("fuzz_esp_open", "gcm-esn-cross",
        Out()
            .u8(esn | w64)
            .u64(0xfffffff0)
            .u8(ahead)
            .u8(16)
            .u8(7)
            .u8(cross)
            .u8(16)
            .u16(2)
            .u8(behind)
            .u8(16)
            .u16(5)
            .u8(behind)
            .u8(16)
            .u16(63)
            .u8(behind)
            .u8(16)
            .u16(64)
            .u8(cross)
            .u8(16)
            .u16(0xffff)
            .u8(again)
            .u8(2)
            .u8(flip)
            .u8(1)
            .u16(5)
            .u8(1)
            .b);
  // CBC with ESN and a wide window: at the A2.2 limit, just inside and just past.
  write("fuzz_esp_open", "cbc-esn-inference-limit",
        Out()
            .u8(cbc | esn | w1024)
            .u64(0x1234)
            .u8(far)
            .u8(33)
            .u16(0xffff)
            .u8(far)
            .u8(33)
            .u16(0)
            .u8(far)
            .u8(33)
            .u16(1)
            .u8(cross)
            .u8(10)
            .u16(0)
            .u8(behind)
            .u8(10)
            .u16(1023)
            .u8(behind)
            .u8(10)
            .u16(1024)
            .b);
  // Without ESN: the top of the 32-bit space, where the counter must not cycle.
  write("fuzz_esp_open", "gcm-32bit-top",
        Out()
            .u8(w100)
            .u64(0xfffffff0)
            .u8(ahead)
            .u8(8)
            .u8(13)
            .u8(ahead)
            .u8(8)
            .u8(0)
            .u8(cross)
            .u8(8)
            .u16(1)
            .u8(behind)
            .u8(8)
            .u16(99)
            .u8(behind)
            .u8(8)
            .u16(100)
            .b);
  // ESN at the end of the 64-bit space.
  write("fuzz_esp_open", "cbc-esn-64bit-top",
        Out()
            .u8(cbc | esn)
            .u64(0xffffffffffffff00)
            .u8(ahead)
            .u8(1)
            .u8(0xfd)
            .u8(ahead)
            .u8(1)
            .u8(0)
            .u8(ahead)
            .u8(1)
            .u8(0)
            .u8(cross)
            .u8(1)
            .u16(3)
            .b);
  // Raw bytes: a short packet, a header only, garbage of block size.
  write("fuzz_esp_open", "raw",
        Out()
            .u8(cbc)
            .u64(0)
            .u8(raw)
            .u16(4)
            .u32(0x0f0e0d0c)
            .u8(raw)
            .u16(8)
            .u32(0x0f0e0d0c)
            .u32(1)
            .u8(raw)
            .u16(60)
            .bytes(Bytes(60, 0x5a))
            .b);
}

// --- fuzz_esp_selector: ops on a SelectorTable ----------------------------------------

enum SelOp : uint8_t { add_sa, remove_sa, packet, values };
enum Proto : uint8_t { any_proto, icmp, tcp, udp, icmpv6, sctp }; // kProtocols' order

Out& sel4(Out& o, std::array<uint8_t, 4> a, uint8_t len, Proto proto) {
  return o.u8(0).bytes(a).u8(len).u8(proto);
}
Out& sel4_ports(Out& o, std::array<uint8_t, 4> a, uint8_t len, Proto proto, uint16_t lo,
                uint16_t hi) {
  return o.u8(4).bytes(a).u8(len).u8(proto).u16(lo).u16(hi);
}

// A 20-byte IPv4 header (RFC 791) and `l4` after it.
Bytes ipv4(uint8_t proto, std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst, Bytes l4,
           uint16_t fragment = 0) {
  Bytes p = {
      0x45, 0,    0, uint8_t(20 + l4.size()), 0, 1, uint8_t(fragment >> 8), uint8_t(fragment),
      64,   proto};
  p.resize(12);
  p.insert(p.end(), src.begin(), src.end());
  p.insert(p.end(), dst.begin(), dst.end());
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

void esp_selector_seeds() {
  const std::array<uint8_t, 4> a1{10, 1, 2, 3}, a2{10, 2, 0, 9}, a3{10, 3, 0, 5};
  Out o; // two owners, IPv4; a conflicting SA refused; a rekey and its removal
  o.u8(add_sa).u8(0).u8(0).u8(0x80).u8(0);
  sel4(o, {10, 1, 0, 0}, 16, any_proto);
  sel4(o, {10, 2, 0, 0}, 16, any_proto);
  o.u8(add_sa).u8(1).u8(1).u8(0x80).u8(0);
  sel4(o, {10, 1, 0, 0}, 16, any_proto);
  sel4_ports(o, {10, 3, 0, 0}, 24, tcp, 80, 80);
  o.u8(add_sa).u8(2).u8(1).u8(0x80).u8(0);
  sel4(o, {10, 1, 0, 0}, 16, any_proto);
  sel4(o, {10, 2, 5, 0}, 24, any_proto);
  o.u8(values).u8(2).bytes(a1).bytes(a2).u8(tcp).u16(40000).u16(443);
  o.u8(values).u8(2).bytes(a1).bytes(a3).u8(tcp).u16(40000).u16(80);
  o.u8(values).u8(0).bytes(a1).bytes(a3).u8(udp).u16(0).u16(0);
  o.u8(add_sa).u8(3).u8(0).u8(0).u8(0);
  sel4(o, {10, 1, 0, 0}, 16, any_proto);
  sel4(o, {10, 2, 0, 0}, 16, any_proto);
  o.u8(values).u8(2).bytes(a3).bytes(a2).u8(udp).u16(53).u16(53);
  o.u8(remove_sa).u8(3).u8(values).u8(2).bytes(a1).bytes(a2).u8(udp).u16(53).u16(53);
  // Parsed packets: TCP, UDP, ICMP echo, a non-initial fragment.
  Bytes tcp_syn = {0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
  Bytes udp_dns = {0xc0, 0x00, 0, 53, 0, 8, 0, 0};
  Bytes echo = {8, 0, 0, 0, 0, 1, 0, 1};
  for (const Bytes& p : {ipv4(6, a1, a3, tcp_syn), ipv4(17, a1, a2, udp_dns), ipv4(1, a1, a2, echo),
                         ipv4(17, a1, a2, udp_dns, 0x0010)})
    o.u8(packet).u16(uint16_t(p.size())).bytes(p);
  write("fuzz_esp_selector", "two-owners-ipv4", o.b);

  Out v6; // IPv6: ICMPv6 by type and code, OPAQUE ports, a hop-by-hop header
  const Bytes any16(16, 0);
  Bytes host(16, 0);
  host[0] = 0x20, host[1] = 0x01, host[2] = 0x0d, host[3] = 0xb8, host[15] = 1;
  v6.u8(add_sa).u8(4).u8(2).u8(0x80).u8(0);
  v6.u8(1).bytes(host).u8(64).u8(any_proto);
  v6.u8(5).bytes(any16).u8(0).u8(icmpv6).u16(128 << 8).u16(129 << 8 | 0xff);
  v6.u8(add_sa).u8(5).u8(3).u8(0x80).u8(0);
  v6.u8(1).bytes(host).u8(128).u8(udp);
  v6.u8(3).bytes(any16).u8(0).u8(udp);
  Bytes icmp6 = {0x60, 0, 0, 0, 0, 16, 0, 64}; // next header 0: hop-by-hop
  icmp6.insert(icmp6.end(), host.begin(), host.end());
  icmp6.insert(icmp6.end(), host.begin(), host.end());
  for (uint8_t b : {58, 0, 1, 4, 0, 0, 0, 0, 128, 0, 0, 0, 0, 1, 0, 1})
    icmp6.push_back(b);
  v6.u8(packet).u16(uint16_t(icmp6.size())).bytes(icmp6);
  v6.u8(values).u8(1 | 2).bytes(host).bytes(host).u8(icmpv6).u16(128 << 8).u16(128 << 8);
  v6.u8(values).u8(1 | 4).bytes(host).bytes(host).u8(udp).u16(0).u16(0);
  write("fuzz_esp_selector", "ipv6-icmp-opaque", v6.b);
}

// --- fuzz_eap_packet: chunk16 packets, fed to a server (rng 1) and a peer (rng 2) ----
void eap_seeds() {
  using namespace ikekit::eap;
  auto lookup = [](std::string_view id) -> std::optional<SecretBytes> {
    if (id == "alice") return SecretBytes(as_bytes("s3cret-pw"));
    return std::nullopt;
  };
  for (std::string password : {"s3cret-pw", "wrong"}) {
    SeededRng rng_s(1), rng_p(2);
    Server server(ServerConfig{}, rng_s, lookup);
    Peer peer(PeerConfig{"alice", {}, SecretBytes(as_bytes(password))}, rng_p);
    std::array<uint8_t, 1024> buf;
    auto n = server.start(buf);
    IKEKIT_FUZZ_CHECK(n.has_value());
    Bytes pkt(buf.begin(), buf.begin() + long(*n));
    Out stream;
    for (int i = 0; i < 8 && !pkt.empty(); ++i) {
      stream.u16(uint16_t(pkt.size())).bytes(pkt);
      write("fuzz_eap_packet", password + "-" + std::to_string(i), pkt);
      Step s = peer.receive(pkt, buf);
      if (s.written == 0) break;
      Bytes resp(buf.begin(), buf.begin() + long(s.written));
      stream.u16(uint16_t(resp.size())).bytes(resp);
      write("fuzz_eap_packet", password + "-" + std::to_string(i) + "-response", resp);
      s = server.receive(resp, buf);
      pkt.assign(buf.begin(), buf.begin() + long(s.written));
    }
    write("fuzz_eap_packet", password + "-exchange", stream.b);
  }
}

// --- fuzz_radius_packet: a response to the target's request (first byte odd: signed) --
void radius_seeds() {
  using namespace ikekit::radius;
  SeededRng rng(7); // as the target's client
  ClientConfig config;
  config.secrets.emplace_back(as_bytes("fuzz-secret"));
  Client client(std::move(config), rng);
  const uint8_t eap[] = {2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e'};
  IKEKIT_FUZZ_CHECK(
      client.send(AccessRequest{"alice", eap, {}, "fuzz", std::nullopt, "", 1400}, TimePoint{}));
  std::array<uint8_t, kMaxPacketSize> sent;
  auto tx = client.poll_transmit(sent);
  IKEKIT_FUZZ_CHECK(tx.has_value());
  const ByteView request_auth(sent.data() + 4, kAuthenticatorSize);
  auto attribute = [](Out& o, uint8_t type, ByteView v) {
    o.u8(type).u8(uint8_t(v.size() + 2)).bytes(v);
  };
  const uint8_t challenge_eap[] = {1, 1, 0, 5, 26};
  Out challenge;
  challenge.u8(1).u8(uint8_t(Code::access_challenge)); // mode byte, then the body
  attribute(challenge, attr::eap_message, challenge_eap);
  attribute(challenge, attr::state, as_bytes("state-1"));
  attribute(challenge, attr::message_authenticator, Bytes(16, 0));
  write("fuzz_radius_packet", "signed-challenge", challenge.b);
  Out accept;
  accept.u8(1).u8(uint8_t(Code::access_accept));
  const uint8_t success_eap[] = {3, 1, 0, 4};
  attribute(accept, attr::eap_message, success_eap);
  for (uint8_t type : {kMsMppeRecvKey, kMsMppeSendKey}) {
    uint8_t enc[64];
    auto n = encrypt_mppe_key(Bytes(16, type), 0x1234, as_bytes("fuzz-secret"), request_auth, enc);
    IKEKIT_FUZZ_CHECK(n.has_value());
    Out vsa;
    vsa.u32(kMicrosoftVendorId).u8(type).u8(uint8_t(*n + 2)).bytes(ByteView(enc, *n));
    attribute(accept, attr::vendor_specific, vsa.b);
  }
  attribute(accept, attr::message_authenticator, Bytes(16, 0));
  write("fuzz_radius_packet", "signed-accept-mppe", accept.b);
  // RFC 2865 7.1's Access-Accept, unsigned (code 2: the raw mode).
  auto rfc = from_hex("0200002686fe220e7624ba2a1005f6bf9b55e0b2060600000001"
                      "0f06000000000e06c0a80103",
                      "seed");
  IKEKIT_FUZZ_CHECK(rfc.has_value());
  write("fuzz_radius_packet", "rfc2865-accept", *rfc);
}

} // namespace

// --- fuzz_tcp_encap: flags, limit, then cut:u8 + bytes chunks ------------------------
void tcp_encap_seeds() {
  // An IKE header (28 bytes: SPIs, next payload none, 2.0, IKE_SA_INIT, I, msgid 0).
  Out ike;
  ike.u64(0x1122334455667788).u64(0).u8(0).u8(0x20).u8(34).u8(0x08).u32(0).u32(28);
  Out esp;
  esp.u32(0xc0ffee01).u32(1).bytes(Bytes(40, 0x5a));
  Out stream;
  stream.text("IKETCP");
  stream.u16(uint16_t(2 + 4 + ike.b.size())).u32(0).bytes(ike.b);
  stream.u16(uint16_t(2 + esp.b.size())).bytes(esp.b);
  stream.u16(3).u8(0xff); // a NAT keepalive frame: dropped silently
  stream.u16(uint16_t(2 + esp.b.size())).bytes(esp.b);
  write("fuzz_tcp_encap", "originator-one-chunk", Out().u8(1).u8(0).u8(0).bytes(stream.b).b);
  Out cut;
  cut.u8(1).u8(0);
  for (size_t at = 0; at < stream.b.size(); at += 5) {
    size_t n = std::min<size_t>(5, stream.b.size() - at);
    cut.u8(uint8_t(n)).bytes(ByteView(stream.b).subspan(at, n));
  }
  write("fuzz_tcp_encap", "originator-cut-every-5", cut.b);
  // The responder's direction: no prefix; one frame over a 34-byte limit.
  ByteView frames = ByteView(stream.b).subspan(6);
  write("fuzz_tcp_encap", "responder-limit-34", Out().u8(0).u8(2).u8(0).bytes(frames).b);
  write("fuzz_tcp_encap", "bad-length", Out().u8(0).u8(0).u8(0).u16(1).bytes(esp.b).b);
}

// --- fuzz_xfrm_mapping: sender port id (u32), then one netlink datagram -------------
// XFRM_MSG_MAPPING as the kernel's xfrm_user.c build_mapping writes it (nlmsghdr, then
// xfrm_user_mapping, host order but for the SPI and ports), `extra` bytes inside its length.
Bytes mapping_message(uint16_t family, uint8_t proto, uint16_t new_port, ByteView extra = {},
                      uint16_t type = XFRM_MSG_MAPPING) {
  xfrm_user_mapping um{};
  const size_t alen = family == AF_INET6 ? 16 : 4;
  std::memset(&um.id.daddr, 0x11, alen);
  std::memset(&um.old_saddr, 0x22, alen);
  std::memset(&um.new_saddr, 0x33, alen);
  um.id.spi = htonl(0xc2000001);
  um.id.family = family;
  um.id.proto = proto;
  um.reqid = 1;
  um.old_sport = htons(4500);
  um.new_sport = htons(new_port);
  nlmsghdr h{};
  h.nlmsg_len = uint32_t(NLMSG_LENGTH(sizeof um) + extra.size());
  h.nlmsg_type = type;
  Bytes m(NLMSG_ALIGN(h.nlmsg_len));
  std::memcpy(m.data(), &h, sizeof h);
  std::memcpy(m.data() + NLMSG_HDRLEN, &um, sizeof um);
  std::copy(extra.begin(), extra.end(), m.begin() + NLMSG_LENGTH(sizeof um));
  return m;
}

void xfrm_mapping_seeds() {
  const std::string t = "fuzz_xfrm_mapping";
  Bytes v4 = mapping_message(AF_INET, IPPROTO_ESP, 61001);
  Bytes v6 = mapping_message(AF_INET6, IPPROTO_ESP, 40000);
  write(t, "v4", Out().u32(0).bytes(v4).b);
  write(t, "v6", Out().u32(0).bytes(v6).b);
  write(t, "not-from-kernel", Out().u32(4242).bytes(v4).b);
  // One of each drop reason around two good ones, as a burst of reports arrives.
  Out batch;
  batch.u32(0).bytes(mapping_message(7, IPPROTO_ESP, 61001)).bytes(v4);
  batch.bytes(mapping_message(AF_INET, IPPROTO_AH, 61001))
      .bytes(mapping_message(AF_INET, IPPROTO_ESP, 0));
  batch.bytes(mapping_message(AF_INET, IPPROTO_ESP, 61001, {}, XFRM_MSG_EXPIRE)).bytes(v6);
  write(t, "batch", batch.b);
  // Cut in the body, in the header, and a header whose length leaves the datagram.
  write(t, "cut-body", Out().u32(0).bytes(ByteView(v4).first(NLMSG_HDRLEN + 30)).b);
  write(t, "cut-header", Out().u32(0).bytes(v6).bytes(ByteView(v4).first(9)).b);
  Bytes over = v4;
  uint32_t len = 4096;
  std::memcpy(over.data(), &len, 4);
  write(t, "length-overruns", Out().u32(0).bytes(over).b);
  // A length shorter than the body the kernel writes (the body is then cut), and one
  // shorter than the header itself.
  Bytes short_body = v4;
  len = NLMSG_HDRLEN + 8;
  std::memcpy(short_body.data(), &len, 4);
  write(t, "length-short-body", Out().u32(0).bytes(short_body).bytes(v6).b);
  Bytes runt_len = v4;
  len = 4;
  std::memcpy(runt_len.data(), &len, 4);
  write(t, "length-below-header", Out().u32(0).bytes(runt_len).b);
  // Attributes after the body (the kernel sends none): one whose rta_len leaves the
  // message, and one that is fine; the mapping is read, the attributes are not.
  Out bad_attr;
  bad_attr.b = {0xf0, 0xff, 0x01, 0x00, 0xaa, 0xbb, 0xcc, 0xdd}; // rta_len 65520, host order
  Out good_attr;
  good_attr.b = {0x08, 0x00, 0x02, 0x00, 0x01, 0x02, 0x03, 0x04};
  write(t, "attribute-bad-length",
        Out().u32(0).bytes(mapping_message(AF_INET, IPPROTO_ESP, 61001, bad_attr.b)).b);
  write(t, "attribute-fine",
        Out().u32(0).bytes(mapping_message(AF_INET6, IPPROTO_ESP, 40000, good_attr.b)).b);
}

int main(int argc, char** argv) {
  if (argc > 1) g_corpus = argv[1];
  x509_seeds();
  auth_sign_seeds();
  key_file_seeds();
  ctl_seeds();
  esp_seeds();
  esp_selector_seeds();
  eap_seeds();
  radius_seeds();
  tcp_encap_seeds();
  xfrm_mapping_seeds();
  std::printf("seeds written under %s\n", g_corpus.c_str());
  return 0;
}
