// esp-tunnel's outbound sequence state (tools/esp-tunnel/seq_state): a restart goes on
// after every number the last run may have sent, a crash mid-block skips the rest of
// the block instead of reusing it, a clean exit wastes nothing, two runs of one SA
// exclude each other, and a damaged or foreign state is refused, never guessed at.
// Small blocks (8) so the arithmetic is visible.
#include "base/hex.hpp"
#include "seq_state.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;
using namespace ikekit::io::dataplane;
using esp_tunnel::SeqState;

namespace {

SaKeys gcm_keys(uint32_t spi, uint8_t fill) {
  SaKeys k;
  k.spi = spi;
  k.encr = crypto::find_keyword(crypto::TransformKind::encr, "aes256gcm16");
  k.encr_key = SecretBytes(36);
  for (auto& b : k.encr_key.reveal_mut())
    b = fill;
  return k;
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_state(const std::string& path, const std::string& text) {
  ::unlink(path.c_str());
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0600);
}

constexpr uint64_t kBlock = 8;

} // namespace

TEST_CASE("seq state: new keys start at 1 and reserve a block on disk first") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 0xab);
  auto s = SeqState::open(d.path + "/state", k, kBlock);
  REQUIRE(s);
  CHECK(s->first_seq() == 1);
  CHECK(s->reserved() == 8);
  CHECK(s->reservation()->limit.load() == 8);
  std::string text = slurp(s->path());
  CHECK(text.find("next_seq 9\n") != std::string::npos); // above every number that may be sent
  CHECK(text.find("spi c1000001\n") != std::string::npos);
  // Named by SPI and key id; neither the name nor the content holds the key.
  CHECK(s->path().find(d.path + "/state/c1000001-") == 0);
  CHECK(text.find(to_hex(k.encr_key.reveal())) == std::string::npos);
  CHECK(text.find("abababab") == std::string::npos);
  struct stat st {};
  REQUIRE(::stat(s->path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((d.path + "/state").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("seq state: a restart after a clean exit goes on at the exact next number") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 1);
  {
    auto s = SeqState::open(d.path, k, kBlock);
    REQUIRE(s);
    s->reservation()->next.store(6); // packets 1..5 sent
    REQUIRE(s->close());
  }
  auto again = SeqState::open(d.path, k, kBlock);
  REQUIRE(again);
  CHECK(again->first_seq() == 6);
  CHECK(again->reserved() == 13);
}

TEST_CASE("seq state: a crash mid-block skips the rest of the block, never reuses it") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 2);
  {
    auto s = SeqState::open(d.path, k, kBlock);
    REQUIRE(s);
    s->reservation()->next.store(4); // 1..3 sent, then the process dies: no close()
  }
  auto after = SeqState::open(d.path, k, kBlock);
  REQUIRE(after);
  CHECK(after->first_seq() == 9); // past everything the dead run could have sent (1..8)
  {
    // A crash after an extension: the file already covers the new block.
    after->reservation()->next.store(14);
    REQUIRE(after->extend());
    CHECK(after->reserved() == 21);
    CHECK(after->reservation()->limit.load() == 21);
  }
  SeqState gone = std::move(*after);
  { SeqState dropped = std::move(gone); } // dies without close()
  auto third = SeqState::open(d.path, k, kBlock);
  REQUIRE(third);
  CHECK(third->first_seq() == 22);
}

TEST_CASE("seq state: extend waits for half a block, then writes before raising the limit") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 3);
  auto s = SeqState::open(d.path, k, kBlock);
  REQUIRE(s);
  s->reservation()->next.store(4); // 5 numbers (4..8) left: more than half a block
  REQUIRE(s->extend());
  CHECK(s->reserved() == 8);
  s->reservation()->next.store(5); // 4 left: extend
  REQUIRE(s->extend());
  CHECK(s->reserved() == 12);
  CHECK(slurp(s->path()).find("next_seq 13\n") != std::string::npos);
}

TEST_CASE("seq state: the batch that uses half the block wakes the owner, once per block") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 5);
  auto s = SeqState::open(d.path, k, kBlock);
  REQUIRE(s);
  SeqReservation& r = *s->reservation();
  auto readable = [&] {
    pollfd p{s->wake_fd(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  };
  CHECK(r.wake_fd == s->wake_fd());
  CHECK(r.notify_at.load() == 5); // limit 8: from next 5 on, 4 or fewer are left
  CHECK_FALSE(r.publish_next(4));
  CHECK(r.next.load() == 4);
  CHECK(r.publish_next(5)); // the sending thread writes wake_fd now
  CHECK_FALSE(r.publish_next(6));
  CHECK(r.next.load() == 6);
  uint64_t one = 1;
  REQUIRE(::write(s->wake_fd(), &one, sizeof one) == ssize_t(sizeof one));
  CHECK(readable());
  REQUIRE(s->extend());
  CHECK(s->reserved() == 13); // 6 + 8 - 1
  CHECK_FALSE(readable());
  CHECK(r.notify_at.load() == 10);
  // A notice spent (the mark disarmed) while the data plane went on past half the
  // block: extend looks at `next` itself, reserves, and arms the next mark.
  r.notify_at.store(UINT64_MAX);
  r.next.store(12);
  REQUIRE(s->extend());
  CHECK(s->reserved() == 19);
  CHECK(r.notify_at.load() == 16);
}

TEST_CASE("seq state: the end of the sequence space is never passed") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 4);
  std::string path;
  {
    auto s = SeqState::open(d.path, k, kBlock);
    REQUIRE(s);
    path = s->path();
  }
  std::string head = slurp(path);
  head = head.substr(0, head.find("next_seq"));
  write_state(path, head + "next_seq " + std::to_string(uint64_t(UINT32_MAX) - 2) + "\n");
  {
    auto s = SeqState::open(d.path, k, kBlock);
    REQUIRE(s);
    CHECK(s->reserved() == UINT32_MAX);                      // RFC 4303 3.3.3: 2^32 - 1 is the last
    CHECK(s->reservation()->notify_at.load() == UINT64_MAX); // nothing more to reserve
    s->reservation()->next.store(uint64_t(UINT32_MAX) + 1);  // all sent
    REQUIRE(s->close());
  }
  auto done = SeqState::open(d.path, k, kBlock);
  REQUIRE_FALSE(done);
  CHECK(done.error().code == Errc::usage);
  CHECK(done.error().message.find("new keys are needed") != std::string::npos);
}

TEST_CASE("seq state: two runs of one SA exclude each other; other keys are independent") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 5);
  auto first = SeqState::open(d.path, k, kBlock);
  REQUIRE(first);
  auto second = SeqState::open(d.path, k, kBlock);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::environment);
  CHECK(second.error().message.find("another esp-tunnel") != std::string::npos);
  // The same SPI with other keys is another SA.
  auto other = SeqState::open(d.path, gcm_keys(0xc1000001, 6), kBlock);
  REQUIRE(other);
  CHECK(other->first_seq() == 1);
  CHECK(other->path() != first->path());
}

TEST_CASE("seq state: a damaged, foreign or exposed state is refused, naming the file") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 7);
  std::string path;
  {
    auto s = SeqState::open(d.path, k, kBlock);
    REQUIRE(s);
    path = s->path();
  }
  const std::string good = slurp(path);
  auto refused = [&](const std::string& snippet) {
    auto s = SeqState::open(d.path, k, kBlock);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::usage);
    CHECK(s.error().field == "--state-dir");
    CHECK(s.error().message.find(path) != std::string::npos);
    CHECK(s.error().message.find(snippet) != std::string::npos);
  };
  write_state(path, good.substr(0, good.find("next_seq")) + "next_seq twelve\n");
  refused("is not a positive number");
  write_state(path, good.substr(0, good.find("next_seq")));
  refused("no next_seq line");
  std::string foreign = good;
  foreign.replace(foreign.find("key_id ") + 7, 4, "0000");
  write_state(path, foreign);
  refused("belongs to another SA");
  write_state(path, good);
  ::chmod(path.c_str(), 0644);
  refused("mode 0644");
  write_state(path, good);
  CHECK(SeqState::open(d.path, k, kBlock));
}

TEST_CASE("seq state: a state directory others may write is refused") {
  ikekit::test::TempDir d("seq");
  ::chmod(d.path.c_str(), 0777);
  auto s = SeqState::open(d.path, gcm_keys(0xc1000001, 8), kBlock);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("mode 0777") != std::string::npos);
}

TEST_CASE("seq state: --keys-are-fresh is refused for keys with a state, accepted for new ones") {
  ikekit::test::TempDir d("seq");
  SaKeys k = gcm_keys(0xc1000001, 9);
  CHECK(SeqState::check_fresh(d.path, k));
  { REQUIRE(SeqState::open(d.path, k, kBlock)); }
  auto used = SeqState::check_fresh(d.path, k);
  REQUIRE_FALSE(used);
  CHECK(used.error().field == "--keys-are-fresh");
  CHECK(used.error().message.find("used before") != std::string::npos);
}
