#include "crypto/digest.hpp"

#include "crypto/ossl.hpp"

#include <cstdlib>

namespace ikekit::crypto {

Sha256 sha256(ByteView data) {
  static const detail::MdPtr md{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  Sha256 out{};
  unsigned int len = 0;
  // Only fails when the provider is missing, which makes every IKE SA fail anyway.
  if (!md || EVP_Digest(data.data(), data.size(), out.data(), &len, md.get(), nullptr) != 1 ||
      len != out.size())
    std::abort();
  return out;
}

Sha1 sha1(ByteView data) {
  Sha1 out{};
  unsigned int len = 0;
  const EVP_MD* md = detail::sha1_md();
  // Only fails when the provider is missing, as sha256() above.
  if (!md || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 ||
      len != out.size())
    std::abort();
  return out;
}

namespace detail {

const EVP_MD* sha1_md() {
  static const MdPtr md(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  return md.get();
}

Bytes sha1_of(ByteView data) {
  Bytes out(20);
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, sha1_md(), nullptr);
  out.resize(len);
  return out;
}

} // namespace detail

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace ikekit::crypto
