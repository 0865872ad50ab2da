// ike-up --threads (cli/thread_options.hpp): auto is one engine per online core when the
// configuration can be split between engines, else one with a note saying why; an
// explicit number above 1 for such a configuration is a usage error naming --threads.
#include "cli/thread_options.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace ikekit;

namespace {

io::IkeRunnerOptions responder_options() {
  io::IkeRunnerOptions ro;
  ike::PeerConfig p;
  p.name = "rw";
  p.unique = ike::UniquePolicy::never;
  ro.config.peers.push_back(p);
  return ro;
}

} // namespace

TEST_CASE("threads: auto is the online cores for a responder that can be split") {
  const long cores = std::min<long>(::sysconf(_SC_NPROCESSORS_ONLN), ike::kMaxShards);
  auto t = cli::resolve_threads("auto", responder_options());
  REQUIRE(t);
  CHECK(t->engines == uint32_t(cores));
  CHECK(t->note.empty());
  auto three = cli::resolve_threads("3", responder_options());
  REQUIRE(three);
  CHECK(three->engines == 3);
}

TEST_CASE("threads: auto is 1 with a reason when the configuration needs one engine") {
  if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) SUCCEED("one core: auto is 1 anyway");
  auto pools = responder_options();
  pools.config.peers[0].pools.push_back(*Prefix::parse("10.3.0.0/24"));
  auto unique = responder_options();
  unique.config.peers[0].unique = ike::UniquePolicy::no;
  auto initiator = responder_options();
  initiator.initiate.push_back("rw");
  for (auto [ro, why] : {std::pair{pools, "address pools"}, std::pair{unique, "unique no"},
                         std::pair{initiator, "initiate"}}) {
    auto t = cli::resolve_threads("auto", ro);
    REQUIRE(t);
    CHECK(t->engines == 1);
    if (::sysconf(_SC_NPROCESSORS_ONLN) > 1) CHECK(t->note.find(why) != std::string::npos);
  }
  // Explicitly several: exit 2 naming the flag (an initiator may ask for them).
  for (const auto& ro : {pools, unique}) {
    auto t = cli::resolve_threads("2", ro);
    REQUIRE_FALSE(t);
    CHECK(t.error().code == Errc::usage);
    CHECK(t.error().field == "--threads");
  }
  CHECK(cli::resolve_threads("2", initiator));
  CHECK_FALSE(cli::resolve_threads("0", responder_options()));
  CHECK_FALSE(cli::resolve_threads("65", responder_options()));
  CHECK_FALSE(cli::resolve_threads("two", responder_options()));
}
