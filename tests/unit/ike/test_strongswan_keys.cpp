// The IKEv2 key schedule against a real implementation: strongSwan's charon.
//
// Source of the vectors: tests/data/<scenario>/ (see tests/data/README.md), made by
// tests/interop/capture-swan-pair.sh with strongSwan 5.9.8 (charon-systemd,
// 5.9.8-5+deb12u6) in two network namespaces. meta.json holds what the left charon
// logged at ike=4 chd=4 (the DH shared secret g^ir, SKEYSEED, the Child SA KEYMAT
// seed) and the nonces, SPIs and KE data of the IKE_SA_INIT in capture.pcap;
// keys.jsonl holds every key charon logged (SK_d, SK_a*, SK_e*, SK_p*, ESP keys).
//
// From the nonces, SPIs and g^ir alone this test recomputes, with ike/keymat:
//   RFC 7296 2.14  SKEYSEED = prf(Ni | Nr, g^ir)
//                  {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//                      = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
//   RFC 7296 2.17  KEYMAT = prf+(SK_d, Ni | Nr)   (no PFS in any scenario)
// and asserts byte equality with what charon used. That the same keys open every SK
// payload and ESP packet of the captures is checked in tests/unit/decode/test_decoder.cpp
// (unit_ike links ikekit_ike only).
#include "base/hex.hpp"
#include "ike/keymat.hpp"
#include "secret_text.hpp"
#include "test_files.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::ike;
using crypto::TransformKind;
using nlohmann::json;

namespace {

const std::filesystem::path kData = ikekit::test::data_dir();

Bytes hex_field(const json& j) {
  REQUIRE(j.is_string());
  auto b = from_hex(j.get<std::string>(), "test");
  REQUIRE(b);
  return *b;
}

uint64_t spi64(const json& j) {
  Bytes b = hex_field(j);
  REQUIRE(b.size() == 8);
  return load_be64(b.data());
}

// keys.jsonl writes null for absent (AEAD) integrity keys.
std::string hx_or_empty(const json& j) { return j.is_null() ? "" : j.get<std::string>(); }

const crypto::TransformInfo* keyword(TransformKind kind, const json& j) {
  if (j.is_null()) return nullptr;
  const auto* t = crypto::find_keyword(kind, j.get<std::string>());
  INFO("keyword " << j.get<std::string>());
  REQUIRE(t != nullptr);
  return t;
}

// Every scenario directory with a meta.json, sorted for a stable order.
std::vector<std::filesystem::path> scenarios() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(kData))
    if (std::filesystem::exists(e.path() / "meta.json")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  return json::parse(in);
}

// keys.jsonl lines by type: ike_sa by "spi_i", child_sa by "spi".
struct KeyLog {
  std::map<std::string, json> ike_sas;
  std::map<std::string, json> child_sas;
};

KeyLog read_keylog(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  KeyLog log;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line);
    if (j["type"] == "ike_sa") log.ike_sas[j["spi_i"].get<std::string>()] = j;
    if (j["type"] == "child_sa") log.child_sas[j["spi"].get<std::string>()] = j;
  }
  return log;
}

} // namespace

TEST_CASE("strongSwan captures: the scenarios are all there", "[ike][keymat][strongswan]") {
  // tests/data/README.md lists six scenarios; a lost meta.json must not pass silently.
  CHECK(scenarios().size() == 6);
}

TEST_CASE("strongSwan captures: SKEYSEED, SK_* and Child SA KEYMAT match charon's "
          "(RFC 7296 2.14, 2.17)",
          "[ike][keymat][strongswan]") {
  for (const auto& dir : scenarios()) {
    const std::string name = dir.filename().string();
    SECTION(name) {
      json meta = read_json(dir / "meta.json");
      KeyLog log = read_keylog(dir / "keys.jsonl");
      REQUIRE(meta["ike_sas"].size() >= 1);
      std::map<std::string, SecretBytes> sk_d_by_spi; // for the Child SAs
      const crypto::TransformInfo* prf = nullptr;

      for (const json& sa : meta["ike_sas"]) {
        INFO(name << " IKE SA " << sa["spi_i"].get<std::string>());
        IkeTransforms t{keyword(TransformKind::encr, sa["encr"]),
                        keyword(TransformKind::integ, sa["integ"]),
                        keyword(TransformKind::prf, sa["prf"])};
        prf = t.prf;
        Bytes ni = hex_field(sa["nonce_i"]), nr = hex_field(sa["nonce_r"]),
              g_ir = hex_field(sa["dh_shared_secret"]);
        auto k = derive_ike_keys(t, ni, nr, g_ir, spi64(sa["spi_i"]), spi64(sa["spi_r"]));
        REQUIRE(k);
        CHECK(secret_hex(k->skeyseed) == sa["skeyseed"].get<std::string>());

        REQUIRE(log.ike_sas.count(sa["spi_i"].get<std::string>()) == 1);
        const json& logged = log.ike_sas[sa["spi_i"].get<std::string>()];
        CHECK(logged["spi_r"] == sa["spi_r"]);
        // The key log names the same algorithms as meta.json.
        CHECK(logged["encr"] == sa["encr"]);
        CHECK(logged["integ"] == sa["integ"]);
        CHECK(logged["prf"] == sa["prf"]);
        CHECK(secret_hex(k->sk_d) == logged["sk_d"].get<std::string>());
        CHECK(secret_hex(k->sk_ai) == hx_or_empty(logged["sk_ai"]));
        CHECK(secret_hex(k->sk_ar) == hx_or_empty(logged["sk_ar"]));
        CHECK(secret_hex(k->sk_ei) == logged["sk_ei"].get<std::string>());
        CHECK(secret_hex(k->sk_er) == logged["sk_er"].get<std::string>());
        CHECK(secret_hex(k->sk_pi) == logged["sk_pi"].get<std::string>());
        CHECK(secret_hex(k->sk_pr) == logged["sk_pr"].get<std::string>());

        // The same keys from charon's logged SKEYSEED.
        auto k2 = derive_ike_keys_from_skeyseed(t, SecretBytes(ByteView(hex_field(sa["skeyseed"]))),
                                                ni, nr, spi64(sa["spi_i"]), spi64(sa["spi_r"]));
        REQUIRE(k2);
        CHECK(secret_hex(k2->sk_pr) == logged["sk_pr"].get<std::string>());
        sk_d_by_spi.emplace(sa["spi_i"].get<std::string>(), std::move(k->sk_d));
      }

      // Every scenario has one IKE SA, so every Child SA was made from its SK_d.
      REQUIRE(sk_d_by_spi.size() == 1);
      const SecretBytes& sk_d = sk_d_by_spi.begin()->second;
      size_t children = 0;
      for (const json& child : meta["child_sas"]) {
        INFO(name << " Child SA " << child["name"].get<std::string>());
        REQUIRE(child["pfs_dh_shared_secret"].is_null());
        Bytes ni = hex_field(child["nonce_i"]), nr = hex_field(child["nonce_r"]);
        // charon's KEYMAT seed without PFS is Ni | Nr (RFC 7296 2.17).
        Bytes seed = ni;
        seed.insert(seed.end(), nr.begin(), nr.end());
        CHECK(to_hex(seed) == child["keymat_seed"].get<std::string>());

        // The logging side is left. As exchange initiator its inbound SPI (spi_in)
        // carries responder -> initiator traffic; KEYMAT holds initiator -> responder
        // keys first (RFC 7296 2.17).
        bool left_initiated = child["role_of_logging_side"] == "initiator";
        std::string spi_i_to_r = child[left_initiated ? "spi_out" : "spi_in"].get<std::string>();
        std::string spi_r_to_i = child[left_initiated ? "spi_in" : "spi_out"].get<std::string>();
        REQUIRE(log.child_sas.count(spi_i_to_r) == 1);
        REQUIRE(log.child_sas.count(spi_r_to_i) == 1);
        const json& out = log.child_sas[spi_i_to_r];
        const json& in = log.child_sas[spi_r_to_i];
        ChildTransforms t{keyword(TransformKind::encr, out["encr"]),
                          keyword(TransformKind::integ, out["integ"])};
        auto km = derive_child_keys(*prf, sk_d, t, {}, ni, nr);
        REQUIRE(km);
        CHECK(secret_hex(km->encr_i) == out["encr_key"].get<std::string>());
        CHECK(secret_hex(km->integ_i) == hx_or_empty(out["integ_key"]));
        CHECK(secret_hex(km->encr_r) == in["encr_key"].get<std::string>());
        CHECK(secret_hex(km->integ_r) == hx_or_empty(in["integ_key"]));
        children += 2;
      }
      // Every ESP SA in the key log was reproduced.
      CHECK(children == log.child_sas.size());
    }
  }
}

TEST_CASE("strongSwan captures: a wrong nonce or g^ir changes every key",
          "[ike][keymat][strongswan]") {
  // A negative control: the checks above are not vacuous.
  json meta = read_json(kData / "psk-aes128-sha256-modp2048" / "meta.json");
  const json& sa = meta["ike_sas"][0];
  IkeTransforms t{keyword(TransformKind::encr, sa["encr"]),
                  keyword(TransformKind::integ, sa["integ"]),
                  keyword(TransformKind::prf, sa["prf"])};
  Bytes ni = hex_field(sa["nonce_i"]), nr = hex_field(sa["nonce_r"]),
        g_ir = hex_field(sa["dh_shared_secret"]);
  g_ir.back() ^= 1;
  auto k = derive_ike_keys(t, ni, nr, g_ir, spi64(sa["spi_i"]), spi64(sa["spi_r"]));
  REQUIRE(k);
  CHECK(secret_hex(k->skeyseed) != sa["skeyseed"].get<std::string>());
  g_ir.back() ^= 1;
  std::swap(ni, nr); // nonces in the wrong order
  auto k2 = derive_ike_keys(t, ni, nr, g_ir, spi64(sa["spi_i"]), spi64(sa["spi_r"]));
  REQUIRE(k2);
  CHECK(secret_hex(k2->skeyseed) != sa["skeyseed"].get<std::string>());
  // SPIs swapped: SKEYSEED is the same, the SK_* are not.
  std::swap(ni, nr);
  auto k3 = derive_ike_keys(t, ni, nr, g_ir, spi64(sa["spi_r"]), spi64(sa["spi_i"]));
  REQUIRE(k3);
  CHECK(secret_hex(k3->skeyseed) == sa["skeyseed"].get<std::string>());
  KeyLog log = read_keylog(kData / "psk-aes128-sha256-modp2048" / "keys.jsonl");
  CHECK(secret_hex(k3->sk_d) != log.ike_sas.begin()->second["sk_d"].get<std::string>());
}
