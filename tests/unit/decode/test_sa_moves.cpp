// IKE SAs that move in a capture (lib/decode/sa_moves.cpp, KeyStore::follow_move):
// MOBIKE (RFC 4555 3.5) and NAT mapping changes (RFC 7296 2.23). The decoder sees only
// the capture, so it moves an SA on an authenticated message, as the peers do; what
// anyone could send (a message failing its ICV, a replay of an older exchange from a new
// address) moves nothing.
//
// Captures: tests/data/mobike-ike-up (two ike-up instances, the client moves out of a NAT
// and into it again; tests/data/README.md) and, rewritten here into a NAT mapping change,
// tests/data/psk-aes256gcm16-ecp256 (strongSwan, no MOBIKE).
#include "base/hex.hpp"
#include "decode/decoder.hpp"
#include "decode/key_file.hpp"
#include "decode/log_keys.hpp"
#include "test_files.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <pcap/dlt.h>
#include <string>
#include <vector>

using namespace ikekit;
using namespace ikekit::test;
using namespace ikekit::decode;
using wire::ExchangeType;

namespace {

struct MoveSeen {
  uint64_t frame = 0;
  bool esp = false;
  ExchangeType exchange = ExchangeType::ike_sa_init;
  bool response = false;
  bool authenticated = false; // SK decrypted with a good ICV, or ESP decrypted
  std::optional<Error> problem;
  Endpoint src, dst;
  std::optional<SaMove> moved;
  uint32_t spi = 0; // ESP
};

class MoveSink : public RecordSink {
public:
  std::vector<MoveSeen> seen;
  void on_ike(const IkeRecord& r) override {
    MoveSeen s{r.meta.frame, false, r.message->header.exchange_type, r.message->header.response()};
    if (r.encrypted) {
      s.authenticated = r.encrypted->decrypted && r.encrypted->integrity == Integrity::ok;
      s.problem = r.encrypted->problem;
    }
    s.src = r.meta.src;
    s.dst = r.meta.dst;
    s.moved = r.sa_moved;
    seen.push_back(s);
  }
  void on_esp(const EspRecord& r) override {
    MoveSeen s{r.meta.frame, true};
    s.spi = r.spi;
    s.authenticated = r.decrypted && r.integrity == Integrity::ok;
    s.problem = r.problem;
    s.src = r.meta.src;
    s.dst = r.meta.dst;
    s.moved = r.sa_moved;
    seen.push_back(s);
  }
  void on_malformed(const MalformedRecord&) override { FAIL("malformed record"); }
  const MoveSeen& at(uint64_t frame) const {
    for (const auto& s : seen)
      if (s.frame == frame) return s;
    FAIL("no record at frame " << frame);
    return seen.front();
  }
};

// An Ethernet capture's frames, owned so they can be edited and reordered.
struct EditableFrame {
  Frame frame;
  Bytes bytes;
};
constexpr size_t kIpv4Src = 14 + 12, kIpv4Dst = 14 + 16; // Ethernet, then IPv4

std::vector<EditableFrame> load_capture(const std::string& dir) {
  auto cap = Capture::open(data_dir() + "/" + dir + "/capture.pcap");
  REQUIRE(cap);
  std::vector<EditableFrame> out;
  for (;;) {
    auto f = cap->next();
    REQUIRE(f);
    if (!*f) break;
    REQUIRE((*f)->linktype == DLT_EN10MB);
    out.push_back({**f, Bytes((*f)->data.begin(), (*f)->data.end())});
  }
  return out;
}

KeyStore keys_of(const std::string& dir) {
  KeyStore store;
  REQUIRE(parse_key_text(read_text(data_dir() + "/" + dir + "/keys.jsonl"), "keys.jsonl", store));
  return store;
}

// The keys of the strongSwan session's charon log (matched to SAs as the capture shows them).
KeyStore charon_log_keys_of(const std::string& dir) {
  KeyStore store;
  REQUIRE(parse_key_text(read_text(data_dir() + "/" + dir + "/charon-keys.log"), "charon-keys.log",
                         store, KeyFileFormat::charon_log));
  return store;
}

Summary decode_edited(std::vector<EditableFrame>& frames, KeyStore& keys, MoveSink& sink) {
  Decoder d(keys, {});
  uint64_t n = 0;
  for (auto& f : frames) {
    f.frame.data = f.bytes;
    f.frame.number = ++n; // renumbered after edits
    d.feed(f.frame, sink);
  }
  d.finish(sink);
  return d.summary();
}

void set_ipv4(EditableFrame& f, size_t offset, const char* address) {
  auto a = IpAddress::parse(address);
  REQUIRE(a);
  ByteView b = a->bytes();
  std::copy(b.begin(), b.end(), f.bytes.begin() + long(offset));
}

bool has_ipv4(const EditableFrame& f, size_t offset, const char* address) {
  auto a = IpAddress::parse(address);
  ByteView b = a->bytes();
  return std::equal(b.begin(), b.end(), f.bytes.begin() + long(offset));
}

// The frames (1-based) of the decoded records that moved their SA.
std::vector<uint64_t> move_frames(const MoveSink& sink) {
  std::vector<uint64_t> out;
  for (const auto& s : sink.seen)
    if (!s.esp && s.moved && s.moved->frame == s.frame) out.push_back(s.frame);
  return out;
}

const char* const kMobike = "mobike-ike-up";
const char* const kNat = "10.229.0.1";     // the router's outside address
const char* const kClientA = "10.229.1.2"; // the client's address without NAT

} // namespace

TEST_CASE("KeyStore::follow_move: a Child SA's keys are also valid between the new addresses",
          "[decode][moves]") {
  auto ip = [](const char* s) { return *IpAddress::parse(s); };
  KeyStore keys;
  auto child = [&](uint32_t spi, const char* src, const char* dst) {
    ChildSaKeys c;
    c.spi = spi;
    c.src = ip(src);
    c.dst = ip(dst);
    keys.add(std::move(c));
  };
  child(0x1111, "192.0.2.1", "198.51.100.1");   // to the responder
  child(0x2222, "198.51.100.1", "192.0.2.1");   // to the initiator
  child(0x3333, "203.0.113.5", "198.51.100.1"); // another peer's
  const std::pair<uint64_t, uint64_t> sa{1, 2};
  CHECK(keys.find_child(0x2222, ip("192.0.2.77")) == nullptr);
  // The initiator moves from 192.0.2.1 to 192.0.2.77.
  CHECK(keys.follow_move(ip("192.0.2.1"), ip("198.51.100.1"), ip("192.0.2.77"), ip("198.51.100.1"),
                         sa) == 2);
  ChildSaKeys* to_i = keys.find_child(0x2222, ip("192.0.2.77"));
  REQUIRE(to_i != nullptr);
  CHECK(to_i->spi == 0x2222);
  CHECK(to_i == keys.find_child(0x2222, ip("192.0.2.1"))); // the old address stays valid
  CHECK(to_i->ike_sa == sa);
  CHECK(keys.find_child(0x3333, ip("198.51.100.1"))->ike_sa == std::nullopt); // not its SA
  // The move again adds nothing; a second move chains from where the first went.
  CHECK(keys.follow_move(ip("192.0.2.1"), ip("198.51.100.1"), ip("192.0.2.77"), ip("198.51.100.1"),
                         sa) == 0);
  CHECK(keys.follow_move(ip("192.0.2.77"), ip("198.51.100.1"), ip("192.0.2.88"), ip("198.51.100.1"),
                         sa) == 2);
  CHECK(keys.find_child(0x2222, ip("192.0.2.88")) == to_i);
  CHECK(keys.find_child(0x3333, ip("192.0.2.88")) == nullptr);
  // Wireshark needs both addresses: the moved rows carry the new source too.
  bool row = false;
  for (const auto& m : keys.moved_child_sas())
    row = row || (keys.child_sas()[m.index].spi == 0x1111 && m.src == ip("192.0.2.88") &&
                  m.dst == ip("198.51.100.1"));
  CHECK(row);
}

TEST_CASE("KeyStore: a log's installed ESP SA matched after moves follows them all",
          "[decode][moves][charon_log]") {
  auto ip = [](const char* s) { return *IpAddress::parse(s); };
  // The initiator 192.0.2.1 logged its inbound SA 0x2222 from the responder 198.51.100.1
  // (and its outbound 0x1111); the capture shows no exchange that created them.
  auto store_with_log = [&] {
    LogKeys log("charon.log");
    LoggedChildKeys b;
    b.initiator = true;
    b.inbound = LoggedChildKeys::Installed{0x2222, ip("198.51.100.1"), ip("192.0.2.1")};
    b.outbound = LoggedChildKeys::Installed{0x1111, ip("192.0.2.1"), ip("198.51.100.1")};
    const Bytes key(20, 0x42);
    b.encr_i = b.encr_r = SecretBytes(ByteView(key));
    log.child().push_back(std::move(b));
    KeyStore keys;
    keys.add(std::move(log));
    return keys;
  };
  const std::pair<uint64_t, uint64_t> sa{1, 2};
  SECTION("first met at the address two moves led to") {
    KeyStore keys = store_with_log();
    keys.follow_move(ip("192.0.2.1"), ip("198.51.100.1"), ip("192.0.2.77"), ip("198.51.100.1"), sa);
    keys.follow_move(ip("192.0.2.77"), ip("198.51.100.1"), ip("192.0.2.88"), ip("198.51.100.1"),
                     sa);
    CHECK(keys.resolve_installed(0x2222, ip("203.0.113.9")) == nullptr); // never there
    ChildSaKeys* k = keys.resolve_installed(0x2222, ip("192.0.2.88"));
    REQUIRE(k != nullptr);
    CHECK(k->spi == 0x2222);
    CHECK(k->ike_sa == sa);
    // Valid at every address the moves led it to, and where charon installed it.
    CHECK(keys.find_child(0x2222, ip("192.0.2.77")) == k);
    CHECK(keys.find_child(0x2222, ip("192.0.2.1")) == k);
  }
  SECTION("first met at the old address after the move (in flight): found at the new one") {
    KeyStore keys = store_with_log();
    keys.follow_move(ip("192.0.2.1"), ip("198.51.100.1"), ip("192.0.2.77"), ip("198.51.100.1"), sa);
    ChildSaKeys* k = keys.resolve_installed(0x2222, ip("192.0.2.1"));
    REQUIRE(k != nullptr);
    CHECK(keys.find_child(0x2222, ip("192.0.2.77")) == k);
  }
  SECTION("a miss is asked again after a move") {
    KeyStore keys = store_with_log();
    CHECK(keys.resolve_installed(0x2222, ip("192.0.2.77")) == nullptr);
    keys.follow_move(ip("192.0.2.1"), ip("198.51.100.1"), ip("192.0.2.77"), ip("198.51.100.1"), sa);
    CHECK(keys.resolve_installed(0x2222, ip("192.0.2.77")) != nullptr);
  }
}

TEST_CASE("sa moves: MOBIKE out of a NAT and into it again, every packet decrypts and says so",
          "[decode][moves]") {
  auto frames = load_capture(kMobike);
  KeyStore keys = keys_of(kMobike);
  MoveSink sink;
  Summary s = decode_edited(frames, keys, sink);
  CHECK(s.undecryptable == 0);
  CHECK(s.sa_moves == 2);
  auto moves = move_frames(sink);
  REQUIRE(moves.size() == 2);
  const SaMove out = *sink.at(moves[0]).moved;
  const SaMove back = *sink.at(moves[1]).moved;
  CHECK(out.reason == MoveReason::mobike);
  CHECK(out.old_initiator.address.to_string() == kNat);
  CHECK(out.initiator.address.to_string() == kClientA);
  CHECK(back.old_initiator.address.to_string() == kClientA);
  CHECK(back.initiator.address.to_string() == kNat);
  CHECK(out.responder == out.old_responder);
  size_t esp_out_of_nat = 0;
  for (const auto& r : sink.seen) {
    if (!r.esp && r.exchange == ExchangeType::ike_sa_init) continue;
    INFO("frame " << r.frame);
    CHECK(r.authenticated);
    const uint64_t want = r.frame < moves[0] ? 0 : r.frame < moves[1] ? moves[0] : moves[1];
    CHECK((r.moved ? r.moved->frame : 0) == want);
    esp_out_of_nat += r.esp && r.dst.address.to_string() == kClientA;
  }
  CHECK(esp_out_of_nat >= 2);
}

TEST_CASE("sa moves: an UPDATE_SA_ADDRESSES that fails its ICV moves nothing", "[decode][moves]") {
  auto frames = load_capture(kMobike);
  uint64_t update = 0;
  {
    KeyStore keys = keys_of(kMobike);
    MoveSink sink;
    decode_edited(frames, keys, sink);
    REQUIRE(!move_frames(sink).empty());
    update = move_frames(sink).front();
  }
  frames[update - 1].bytes.back() ^= 0x01; // the last byte of the ICV
  KeyStore keys = keys_of(kMobike);
  MoveSink sink;
  Summary s = decode_edited(frames, keys, sink);
  CHECK_FALSE(sink.at(update).authenticated);
  CHECK(s.sa_moves == 0);
  // Without the move the SA's keys are not used at the client's new address: ESP sent
  // there has no key; everything else still decrypts.
  size_t to_new = 0;
  for (const auto& r : sink.seen) {
    if (r.frame == update || (!r.esp && r.exchange == ExchangeType::ike_sa_init)) continue;
    INFO("frame " << r.frame);
    CHECK_FALSE(r.moved);
    if (r.esp && r.dst.address.to_string() == kClientA) {
      ++to_new;
      CHECK_FALSE(r.authenticated);
      REQUIRE(r.problem);
      CHECK(r.problem->field == "keys");
    } else {
      CHECK(r.authenticated);
    }
  }
  CHECK(to_new >= 2);
}

TEST_CASE("sa moves: an old UPDATE_SA_ADDRESSES replayed from elsewhere moves nothing",
          "[decode][moves]") {
  auto frames = load_capture(kMobike);
  uint64_t update = 0;
  {
    KeyStore keys = keys_of(kMobike);
    MoveSink sink;
    decode_edited(frames, keys, sink);
    REQUIRE(move_frames(sink).size() == 2);
    update = move_frames(sink).front();
  }
  // The first UPDATE, sent again after the second move from an address the SA never had:
  // its ICV is good (it is the initiator's message) but its exchange is older.
  EditableFrame replay = frames[update - 1];
  set_ipv4(replay, kIpv4Src, "10.229.9.9");
  frames.push_back(replay);
  KeyStore keys = keys_of(kMobike);
  MoveSink sink;
  Summary s = decode_edited(frames, keys, sink);
  CHECK(s.sa_moves == 2);
  const MoveSeen& last = sink.at(frames.size());
  CHECK(last.authenticated);
  REQUIRE(last.moved);
  CHECK(last.moved->frame == move_frames(sink).back());
  CHECK(last.moved->initiator.address.to_string() != "10.229.9.9");
}

TEST_CASE("sa moves: without MOBIKE an authenticated message from a new address moves the SA",
          "[decode][moves]") {
  // psk-aes256gcm16-ecp256: IKE_SA_INIT, IKE_AUTH, 6 ESP, CREATE_CHILD_SA (rekey of the
  // Child SA), ... From the CREATE_CHILD_SA request on, the initiator 10.241.0.1 appears as
  // 10.241.0.9 (its NAT mapping changed); the last ESP packet of the first Child SA to
  // the initiator comes after that request, sent to the new address.
  const char* const dir = "psk-aes256gcm16-ecp256";
  auto frames = load_capture(dir);
  MoveSink plain;
  {
    KeyStore keys = keys_of(dir);
    decode_edited(frames, keys, plain);
    CHECK(move_frames(plain).empty()); // the float to 4500 after IKE_SA_INIT is no move
  }
  uint64_t create = 0, last_esp_to_i = 0;
  for (const auto& r : plain.seen) {
    if (!r.esp && r.exchange == ExchangeType::create_child_sa && !r.response && !create)
      create = r.frame;
    if (r.esp && !create && r.dst.address.to_string() == "10.241.0.1") last_esp_to_i = r.frame;
  }
  REQUIRE(create > last_esp_to_i);
  REQUIRE(last_esp_to_i > 0);
  EditableFrame late = frames[last_esp_to_i - 1];
  frames.erase(frames.begin() + long(last_esp_to_i - 1));
  frames.insert(frames.begin() + long(create - 1), late); // right after the request
  const uint64_t moved_at = create - 1;                   // the request, renumbered
  for (size_t i = moved_at - 1; i < frames.size(); ++i) {
    if (has_ipv4(frames[i], kIpv4Src, "10.241.0.1")) set_ipv4(frames[i], kIpv4Src, "10.241.0.9");
    if (has_ipv4(frames[i], kIpv4Dst, "10.241.0.1")) set_ipv4(frames[i], kIpv4Dst, "10.241.0.9");
  }
  SECTION("authenticated: moved, and the Child SA's ESP decrypts at the new address") {
    KeyStore keys = keys_of(dir);
    MoveSink sink;
    Summary s = decode_edited(frames, keys, sink);
    CHECK(s.undecryptable == 0);
    REQUIRE(move_frames(sink) == std::vector<uint64_t>{moved_at});
    const SaMove m = *sink.at(moved_at).moved;
    CHECK(m.reason == MoveReason::nat_mapping);
    CHECK(m.old_initiator.to_string() == "10.241.0.1:4500");
    CHECK(m.initiator.to_string() == "10.241.0.9:4500");
    CHECK(m.responder == m.old_responder);
    const MoveSeen& esp = sink.at(moved_at + 1);
    CHECK(esp.esp);
    CHECK(esp.authenticated);
    REQUIRE(esp.moved);
    CHECK(esp.moved->frame == moved_at);
  }
  SECTION("the same request failing its ICV moves nothing; the ESP there has no key") {
    frames[moved_at - 1].bytes.back() ^= 0x80;
    KeyStore keys = keys_of(dir);
    MoveSink sink;
    decode_edited(frames, keys, sink);
    CHECK_FALSE(sink.at(moved_at).authenticated);
    CHECK_FALSE(sink.at(moved_at).moved);
    const MoveSeen& esp = sink.at(moved_at + 1);
    CHECK_FALSE(esp.authenticated);
    REQUIRE(esp.problem);
    CHECK(esp.problem->field == "keys");
  }
}

TEST_CASE("sa moves: keys of a charon log matched at the first ESP packet follow an earlier move",
          "[decode][moves][charon_log]") {
  // psk-aes256gcm16-ecp256 with its charon log (the initiator's) as the only keys, edited
  // so the log's first Child SA is matched lazily, by the SPI charon logged installing it
  // (KeyStore::resolve_installed): the IKE_AUTH response that created it is not in the
  // capture, and no ESP reaches the initiator before its NAT mapping changes (10.241.0.1
  // appears as 10.241.0.9 from the CREATE_CHILD_SA request on, as in the test above).
  // The first ESP packet to the initiator comes after that authenticated move, at the new
  // address, where charon never installed the SA: the move must carry the logged keys there.
  const char* const dir = "psk-aes256gcm16-ecp256";
  auto frames = load_capture(dir);
  MoveSink plain;
  {
    KeyStore keys = charon_log_keys_of(dir);
    Summary s = decode_edited(frames, keys, plain);
    REQUIRE(s.undecryptable == 0);
  }
  uint64_t auth_response = 0, create = 0;
  std::vector<uint64_t> esp_to_i; // the first Child SA's, before the CREATE_CHILD_SA
  for (const auto& r : plain.seen) {
    if (!r.esp && r.exchange == ExchangeType::ike_auth && r.response) auth_response = r.frame;
    if (!r.esp && r.exchange == ExchangeType::create_child_sa && !r.response && !create)
      create = r.frame;
    if (r.esp && !create && r.dst.address.to_string() == "10.241.0.1") esp_to_i.push_back(r.frame);
  }
  REQUIRE(auth_response > 0);
  REQUIRE(esp_to_i.size() >= 2);
  REQUIRE(create > esp_to_i.back());
  const uint32_t spi_to_i = plain.at(esp_to_i.back()).spi;
  // Kept in capture order: the IKE_AUTH response and the ESP to the initiator go, but the
  // last such ESP packet, which follows the CREATE_CHILD_SA request instead.
  std::vector<EditableFrame> edited;
  for (uint64_t n = 1; n <= frames.size(); ++n) {
    const bool to_i = std::find(esp_to_i.begin(), esp_to_i.end(), n) != esp_to_i.end();
    if (n != auth_response && !to_i) edited.push_back(frames[n - 1]);
    if (n == create) edited.push_back(frames[esp_to_i.back() - 1]);
  }
  uint64_t moved_at = 0;
  for (size_t i = 0; i < edited.size(); ++i) {
    if (edited[i].frame.number == create) moved_at = i + 1;
    if (!moved_at) continue;
    if (has_ipv4(edited[i], kIpv4Src, "10.241.0.1")) set_ipv4(edited[i], kIpv4Src, "10.241.0.9");
    if (has_ipv4(edited[i], kIpv4Dst, "10.241.0.1")) set_ipv4(edited[i], kIpv4Dst, "10.241.0.9");
  }
  REQUIRE(moved_at > 0);
  KeyStore keys = charon_log_keys_of(dir);
  MoveSink sink;
  Summary s = decode_edited(edited, keys, sink);
  REQUIRE(move_frames(sink) == std::vector<uint64_t>{moved_at});
  const MoveSeen& esp = sink.at(moved_at + 1);
  CHECK(esp.esp);
  CHECK(esp.spi == spi_to_i);
  CHECK(esp.dst.address.to_string() == "10.241.0.9");
  CHECK(esp.authenticated);
  CHECK_FALSE(esp.problem);
  REQUIRE(esp.moved);
  CHECK(esp.moved->frame == moved_at);
  CHECK(s.undecryptable == 0);
}
