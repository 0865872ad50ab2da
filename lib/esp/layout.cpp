#include "esp/layout.hpp"

#include <algorithm>

namespace ikekit::esp {

Overhead esp_overhead(const crypto::TransformInfo& encr, const crypto::TransformInfo* integ) {
  Overhead o;
  o.header = kEspHeaderLen + encr.iv_len;
  // RFC 4303 2.4: the plaintext fills whole cipher blocks and the trailer ends on a
  // 4-byte boundary; header and IV are multiples of 4, so aligning the ciphertext
  // to max(block, 4) satisfies both.
  o.align = std::max<size_t>(4, encr.block_size);
  o.icv = encr.aead ? encr.icv_len : (integ ? integ->icv_len : 0);
  o.max_trailer = (o.align - 1) + kEspTrailerLen + o.icv;
  return o;
}

} // namespace ikekit::esp
