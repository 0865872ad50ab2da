// `ike-bench esp`: throughput of EspSaOut::seal_in_place and EspSaIn::open_in_place
// next to the raw primitive they are built on, measured in the same run on the same
// buffers, so the ratio shows what the ESP layer costs on top of OpenSSL.
//
// Method (per cipher and payload size, a "case"):
//  * A ring of M packet slots (M * slot size ~ 128 KiB, 16 <= M <= 256) with the
//    headroom and tailroom esp_overhead() asks for, allocated once.
//  * Four measurements: ESP seal, raw seal, ESP open, raw open. Raw seal is the least
//    work any ESP implementation must do for the same packet: for AEAD suites
//    crypto::Aead::seal over the ESP ciphertext (payload + padding + 2 trailer bytes)
//    with a fixed IV and the 8-byte SPI||seq AAD; for CBC+HMAC suites
//    crypto::Cipher::encrypt over that ciphertext plus crypto::Integ::compute over
//    header, IV and ciphertext (RFC 4303 3.3.4). Raw open is Aead::open, or
//    Integ::verify + Cipher::decrypt.
//  * Opening needs fresh packets: before each pass over the ring (untimed) every slot is
//    sealed again by a feeder SA with the same keys, so sequence numbers keep rising and
//    the replay window (RFC 4303 3.4.3) accepts every packet; the raw side re-seals its
//    slots the same way. Only the passes of the operation itself are timed.
//  * Rounds interleave the ESP and raw measurements (A B, then B A, ...), so machine
//    noise hits both alike; each measurement runs duration / (4 * rounds). The reported
//    rate is the median of the rounds, the ratio the median of the per-round ratios
//    ESP / raw, and spread_pct how far the rounds scatter (stats.hpp).
//  * CBC IVs come from SeededRng (splitmix64), not a CSPRNG: IV generation is cheaper
//    here than in a real data plane. Keys are fixed test bytes.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "crypto/suite.hpp"

#include "json/output.hpp"
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::bench {

inline const std::vector<std::string> kDefaultEspCiphers = {
    "aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128-sha256", "aes256-sha512"};
inline const std::vector<size_t> kDefaultEspSizes = {64, 512, 1400, 8192};
inline constexpr size_t kMaxEspSize = 65000; // an IP packet and its ESP framing fit 64 KiB

struct EspBenchOptions {
  std::vector<std::string> ciphers = kDefaultEspCiphers; // ESP proposal strings
  std::vector<size_t> sizes = kDefaultEspSizes;          // payload bytes
  Duration duration{std::chrono::milliseconds(500)};     // timed per case (cipher x size)
  int rounds = 7;
};

// An ESP suite named like a strongSwan ESP proposal: "aes256gcm16", "aes128-sha256".
struct EspSuite {
  std::string name;
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr; // null for AEAD
};
// Errc::usage, field "--cipher", naming the value and what is allowed.
Result<EspSuite> parse_esp_suite(std::string_view name);
// Every cipher parses, every size is 1..kMaxEspSize, duration > 0, rounds >= 1.
Result<void> check_esp_options(const EspBenchOptions& opts);

// One result: "esp_seal" or "esp_open" for one cipher and size.
struct EspCaseResult {
  std::string name;
  std::string cipher;
  size_t size_bytes = 0;
  std::string raw_primitive;   // what the raw side called
  size_t raw_text_bytes = 0;   // bytes the raw primitive encrypts per packet
  std::vector<double> esp_pps; // per round
  std::vector<double> raw_pps; // per round
  std::vector<double> ratios;  // per round: esp_pps[i] / raw_pps[i]
  std::optional<Error> error;  // the case could not run (then the vectors are empty)
};

// Called before each case starts.
struct EspProgress {
  size_t index = 0; // 0-based
  size_t total = 0;
  std::string_view cipher;
  size_t size_bytes = 0;
};
using EspProgressFn = std::function<void(const EspProgress&)>;

// Runs every case of `opts` (checked with check_esp_options first); two results per
// case, seal then open. A case that fails reports its error in both results.
std::vector<EspCaseResult> run_esp_bench(const EspBenchOptions& opts,
                                         const EspProgressFn& progress);

// {"name","params":{"cipher","size_bytes"},"packets_per_s","bytes_per_s","spread_pct",
//  "rounds","raw":{"primitive","text_bytes","packets_per_s","bytes_per_s","spread_pct"},
//  "ratio":{"vs_openssl_raw"},"error"}; bytes_per_s counts payload bytes. With an error
// the numbers are null and "error" is {"code","field","message"}.
json::Json esp_result_to_json(const EspCaseResult& r);

} // namespace ikekit::bench
