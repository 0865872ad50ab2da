// The "context" object of an ike-bench document: where and with what the numbers were
// measured, so two documents can be judged comparable (or not) before their numbers are.
#pragma once

#include "json/output.hpp"
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::bench {

inline constexpr std::string_view kSchemaBench = "ikekit.ike-bench/1";

// The CPU flags that change crypto throughput, in this order.
inline constexpr std::string_view kCryptoCpuFlags[] = {
    "aes", "pclmulqdq", "avx", "avx2", "avx512f", "vaes", "vpclmulqdq", "sha_ni"};

// From a /proc/cpuinfo "flags" value ("fpu vme ... aes ... avx2 ..."): the crypto
// flags present, in kCryptoCpuFlags order.
std::vector<std::string> crypto_cpu_flags(std::string_view flags_line);

// {"host","kernel","cpus","cpu_model","cpu_flags","openssl_version","build_type",
//  "ikekit_version","git_commit","date"}. Fields that cannot be found are null.
// openssl_version is null: lib/crypto (the only code that may ask OpenSSL) exposes no
// version query yet, and the `openssl` binary's version need not be the linked library's.
json::Json collect_context();

} // namespace ikekit::bench
