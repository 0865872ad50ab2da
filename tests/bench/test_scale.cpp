// bench/scale: a small `ike-bench scale` run establishes every SA, times lookups that
// the responder really answers, and reports the memory figures. No timing or memory
// thresholds: RSS deltas of a few SAs are noise, only their presence is checked.
#include "bench/scale.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::bench;
using json::Json;

TEST_CASE("scale: options name their flag") {
  ScaleOptions o;
  CHECK(check_scale_options(o));
  o.sas = 0;
  CHECK(check_scale_options(o).error().field == "--sas");
  o = {};
  o.batch = 0;
  CHECK(check_scale_options(o).error().field == "--batch");
  o = {};
  o.shards = 0;
  CHECK(check_scale_options(o).error().field == "--shards");
  o.sas = 4;
  o.shards = 5; // more engine pairs than SAs
  CHECK(check_scale_options(o).error().field == "--shards");
  o = {};
  o.lookups = 0;
  CHECK(check_scale_options(o).error().field == "--lookups");
  o = {};
  o.ike_proposal = "aes256gcm16-prfsha256";
  CHECK(check_scale_options(o).error().field == "--ike-proposal");
  o = {};
  o.esp_proposal = "zzz";
  CHECK(check_scale_options(o).error().field == "--esp-proposal");
  ScaleResult r = run_scale(o, nullptr);
  REQUIRE(r.error);
  CHECK(r.doc["error"]["field"] == "--esp-proposal");
}

TEST_CASE("scale: 60 SAs established, lookups answered, figures present") {
  ScaleOptions o;
  o.sas = 60;
  o.batch = 8;
  o.lookups = 25;
  size_t calls = 0;
  ScaleResult r = run_scale(o, [&](const char*, size_t, size_t) { ++calls; });
  CHECK_FALSE(r.error);
  const Json& j = r.doc;
  CHECK(j["name"] == "scale");
  CHECK(j["params"]["sas"] == 60);
  CHECK(j["params"]["batch"] == 8);
  CHECK(j["established"] == 60);
  CHECK(j["failed"] == 0);
  CHECK(j["error"].is_null());
  CHECK(j["setup_per_s"].get<double>() > 0);
  CHECK(j["lookup_ns"].get<double>() > 0);
  CHECK(j["lookup_retransmit_ns"].get<double>() > 0);
  CHECK(j["lookups"] == 25);
  CHECK(j["retransmits_answered"] == 25); // every replayed request hit its SA
  CHECK(j["memory_per_sa_pair_bytes"].is_number());
  CHECK(j["memory"]["rss_before_bytes"].get<double>() > 0);
  CHECK(j["memory"]["rss_established_bytes"].get<double>() > 0);
  // The allocator's count is exact: every SA pair holds some memory on both sides. Under
  // ASan (its own allocator, mallinfo2 empty) the figures are null, never 0.
  for (const char* k :
       {"heap_per_sa_pair_bytes", "initiator_heap_per_sa_bytes", "responder_heap_per_sa_bytes"}) {
    INFO(k);
    CHECK((j["memory"][k].is_null() || j["memory"][k].get<double>() > 0));
#ifndef __SANITIZE_ADDRESS__
    CHECK(j["memory"][k].is_number());
#endif
  }
}

TEST_CASE("scale: SAs spread over engine pairs, lookups against the first") {
  ScaleOptions o;
  o.sas = 50;
  o.shards = 3; // 18 + 16 + 16
  o.batch = 4;
  o.lookups = 100;
  ScaleResult r = run_scale(o, nullptr);
  CHECK_FALSE(r.error);
  const Json& j = r.doc;
  CHECK(j["params"]["shards"] == 3);
  CHECK(j["established"] == 50);
  CHECK(j["lookup_sas"] == 18);
  CHECK(j["lookups"] == 18); // at most the SAs of the first pair
  CHECK(j["retransmits_answered"] == 18);
  CHECK((j["memory"]["heap_per_sa_pair_bytes"].is_null() ||
         j["memory"]["heap_per_sa_pair_bytes"].get<double>() > 0));
#ifndef __SANITIZE_ADDRESS__
  CHECK(j["memory"]["heap_per_sa_pair_bytes"].is_number());
#endif
}
