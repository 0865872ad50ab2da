// XFRM netlink requests, byte for byte against what iproute2's `ip xfrm` sends for
// the same SA or policy (vectors captured by tests/unit/io/vectors/capture.sh; each
// file starts with the exact command). nlmsg_seq and nlmsg_pid (bytes 8..15) differ
// per run and are compared after zeroing.
#include "base/hex.hpp"
#include "io/xfrm.hpp"
#include "ip_literal.hpp"
#include "test_files.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::io;

namespace {

std::string vectors_dir() { return data_dir() + "/../unit/io/vectors"; }

Bytes load_vector(const std::string& name) {
  std::ifstream in(vectors_dir() + "/" + name + ".hex");
  REQUIRE(in.good());
  std::string line, hex;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') hex += line;
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = uint8_t(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

Bytes normalized(Bytes b) {
  for (size_t i = 8; i < 16 && i < b.size(); ++i)
    b[i] = 0;
  return b;
}

Bytes seq_key(size_t n, uint8_t first) {
  Bytes k(n);
  for (size_t i = 0; i < n; ++i)
    k[i] = uint8_t(first + i);
  return k;
}

template <typename Build> Bytes build(Build&& f) {
  alignas(8) std::array<uint8_t, 2048> buf{};
  auto n = f(MutBytes(buf));
  REQUIRE(n.has_value());
  return normalized(Bytes(buf.begin(), buf.begin() + long(*n)));
}

void require_same(const Bytes& ours, const std::string& vector) {
  Bytes theirs = normalized(load_vector(vector));
  CAPTURE(vector, to_hex(ours), to_hex(theirs));
  REQUIRE(ours.size() == theirs.size());
  REQUIRE(ours == theirs);
}

} // namespace

TEST_CASE("NEWSA AES-GCM tunnel IPv4 equals ip xfrm state add", "[xfrm]") {
  Bytes key = seq_key(20, 0x00); // 16-byte AES-128 key || 4-byte salt (RFC 4106 8.1)
  XfrmSa sa;
  sa.src = ip("192.0.2.1");
  sa.dst = ip("192.0.2.2");
  sa.spi = 0xc0ffee01;
  sa.reqid = 7;
  sa.mode = XfrmMode::tunnel;
  sa.replay_window = 32;
  sa.aead = XfrmAlgorithm{kXfrmAesGcm, key, 128};
  require_same(build([&](MutBytes b) { return build_xfrm_newsa(sa, 1, b); }),
               "newsa_gcm_tunnel_v4");
}

TEST_CASE("NEWSA AES-CBC + HMAC-SHA-256-128, UDP encap, mark, if_id, 64-packet window", "[xfrm]") {
  Bytes enc = seq_key(16, 0x00), auth = seq_key(32, 0x20);
  XfrmSa sa;
  sa.src = ip("198.51.100.1");
  sa.dst = ip("203.0.113.9");
  sa.spi = 0x1234;
  sa.reqid = 42;
  sa.replay_window = 64; // > 32: sent as XFRMA_REPLAY_ESN_VAL
  sa.crypt = XfrmAlgorithm{kXfrmAesCbc, enc, 0};
  sa.auth = XfrmAlgorithm{kXfrmHmacSha256, auth, 128}; // RFC 4868: truncated to 128 bits
  sa.encap = XfrmEncap{4500, 4501};                    // RFC 3948
  sa.mark = XfrmMark{0x10, 0xff};
  sa.if_id = 5;
  require_same(build([&](MutBytes b) { return build_xfrm_newsa(sa, 1, b); }),
               "newsa_cbc_sha256_encap_mark_v4");
}

TEST_CASE("NEWSA ChaCha20-Poly1305 transport IPv6 with ESN and a 1024-packet window", "[xfrm]") {
  Bytes key = seq_key(36, 0x00); // 32-byte key || 4-byte salt (RFC 7634 2)
  XfrmSa sa;
  sa.src = ip("2001:db8::1");
  sa.dst = ip("2001:db8::2");
  sa.spi = 0x01020304;
  sa.reqid = 3;
  sa.mode = XfrmMode::transport;
  sa.replay_window = 1024;
  sa.esn = true; // RFC 4303 2.2.1
  sa.aead = XfrmAlgorithm{kXfrmChaCha20Poly1305, key, 128};
  require_same(build([&](MutBytes b) { return build_xfrm_newsa(sa, 1, b); }),
               "newsa_chacha_esn_transport_v6");
}

TEST_CASE("DELSA and GETSA equal ip xfrm state delete/get", "[xfrm]") {
  XfrmSaId id{ip("192.0.2.1"), ip("192.0.2.2"), 0xc0ffee01, std::nullopt};
  require_same(build([&](MutBytes b) { return build_xfrm_delsa(id, 1, b); }), "delsa_v4");
  require_same(build([&](MutBytes b) { return build_xfrm_getsa(id, 1, b); }), "getsa_v4");
}

TEST_CASE("NEWPOLICY out tunnel IPv4 equals ip xfrm policy add", "[xfrm]") {
  XfrmPolicy p;
  p.sel.src = pfx("10.1.0.0/16");
  p.sel.dst = pfx("10.2.0.0/16");
  p.dir = XfrmDir::out;
  p.priority = 1000;
  p.tmpl = XfrmTemplate{ip("192.0.2.1"), ip("192.0.2.2"), 7, XfrmMode::tunnel};
  require_same(build([&](MutBytes b) { return build_xfrm_newpolicy(p, 1, b); }),
               "newpolicy_out_tunnel_v4");
}

TEST_CASE("NEWPOLICY fwd IPv6 UDP ports, mark and if_id", "[xfrm]") {
  XfrmPolicy p;
  p.sel.src = pfx("2001:db8:1::/48");
  p.sel.dst = pfx("2001:db8:2::/48");
  p.sel.proto = 17; // RFC 4301 4.4.1.1: Next Layer Protocol and ports
  p.sel.sport = 53;
  p.sel.dport = 1053;
  p.dir = XfrmDir::fwd;
  p.priority = 2000;
  p.mark = XfrmMark{0x10, 0xff};
  p.if_id = 5;
  p.tmpl = XfrmTemplate{ip("2001:db8::1"), ip("2001:db8::2"), 3, XfrmMode::tunnel};
  require_same(build([&](MutBytes b) { return build_xfrm_newpolicy(p, 1, b); }),
               "newpolicy_fwd_udp_v6");
}

TEST_CASE("DELPOLICY equals ip xfrm policy delete", "[xfrm]") {
  XfrmPolicyId id;
  id.sel.src = pfx("10.1.0.0/16");
  id.sel.dst = pfx("10.2.0.0/16");
  id.dir = XfrmDir::out;
  require_same(build([&](MutBytes b) { return build_xfrm_delpolicy(id, 1, b); }),
               "delpolicy_out_v4");
}

TEST_CASE("builders refuse what the kernel cannot take, naming the field", "[xfrm]") {
  alignas(8) std::array<uint8_t, 2048> buf{};
  Bytes key = seq_key(20, 0);
  XfrmSa sa;
  sa.src = ip("192.0.2.1");
  sa.dst = ip("2001:db8::2");
  sa.aead = XfrmAlgorithm{kXfrmAesGcm, key, 128};
  auto r = build_xfrm_newsa(sa, 1, buf);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "sa.dst");

  sa.dst = ip("192.0.2.2");
  sa.crypt = XfrmAlgorithm{kXfrmAesCbc, key, 0};
  r = build_xfrm_newsa(sa, 1, buf);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "sa.aead");

  sa.crypt.reset();
  sa.aead.reset();
  r = build_xfrm_newsa(sa, 1, buf);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "sa.crypt");

  sa.aead = XfrmAlgorithm{kXfrmAesGcm, key, 128};
  r = build_xfrm_newsa(sa, 1, MutBytes(buf).first(100));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_length);

  r = build_xfrm_newsa(sa, 1, MutBytes(buf).subspan(1, 1000)); // misaligned
  REQUIRE_FALSE(r);
}

TEST_CASE("SA counters are read from the kernel's NEWSA answer", "[xfrm]") {
  // Our own NEWSA has the kernel's layout; curlft is zero in a request.
  Bytes key = seq_key(20, 0);
  XfrmSa sa;
  sa.src = ip("192.0.2.1");
  sa.dst = ip("192.0.2.2");
  sa.aead = XfrmAlgorithm{kXfrmAesGcm, key, 128};
  Bytes m = build([&](MutBytes b) { return build_xfrm_newsa(sa, 1, b); });
  auto c = parse_xfrm_sa_counters(m);
  REQUIRE(c);
  CHECK(c->bytes == 0);
  CHECK(c->packets == 0);
  CHECK_FALSE(parse_xfrm_sa_counters(ByteView(m).first(40)));
}

TEST_CASE("kernel algorithm names for IKEv2 transforms", "[xfrm]") {
  using crypto::TransformKind;
  CHECK(xfrm_algorithm_name(*crypto::find_keyword("aes256gcm16")) == kXfrmAesGcm);
  CHECK(xfrm_algorithm_name(*crypto::find_keyword("chacha20poly1305")) == kXfrmChaCha20Poly1305);
  CHECK(xfrm_algorithm_name(*crypto::find_keyword("aes128")) == "cbc(aes)");
  CHECK(xfrm_algorithm_name(*crypto::find_keyword("sha256")) == "hmac(sha256)");
}

TEST_CASE("prefixes parse and print", "[prefix]") {
  CHECK(Prefix::parse("10.1.0.0/16")->len == 16);
  CHECK(Prefix::parse("2001:db8::/32")->to_string() == "2001:db8::/32");
  CHECK(Prefix::parse("192.0.2.7")->len == 32);
  CHECK_FALSE(Prefix::parse("10.0.0.0/33"));
  CHECK_FALSE(Prefix::parse("10.0.0.0/"));
  CHECK_FALSE(Prefix::parse("nonsense/8"));
}
