// Key material that zeroes itself (DESIGN 3, "Secrets"): no printing, no to_json;
// reading it is an explicit, greppable reveal().
#pragma once

#include "base/bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ikekit {

void secure_zero(void* p, size_t n);

class SecretBytes {
public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : data_(n) {}
  explicit SecretBytes(ByteView b) : data_(b.begin(), b.end()) {}
  SecretBytes(const SecretBytes& o) : data_(o.data_) {}
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) {
      wipe();
      data_ = o.data_;
    }
    return *this;
  }
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.wipe(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      wipe();
      data_ = std::move(o.data_);
      o.wipe();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteView reveal() const { return data_; }
  MutBytes reveal_mut() { return data_; }
  // A sub-range, e.g. SK_ei out of the prf+ stream.
  SecretBytes slice(size_t offset, size_t n) const {
    return SecretBytes(ByteView(data_).subspan(offset, n));
  }

private:
  void wipe() {
    if (!data_.empty()) secure_zero(data_.data(), data_.size());
    data_.clear();
  }
  std::vector<uint8_t> data_;
};

} // namespace ikekit
