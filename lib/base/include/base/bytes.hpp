// Byte views, big-endian loads and stores, and bounded Reader/Writer (DESIGN 3, "Buffers").
// Nothing here allocates; parsers return views into the caller's buffer.
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ikekit {

using ByteView = std::span<const uint8_t>;
using MutBytes = std::span<uint8_t>;
using Bytes = std::vector<uint8_t>;

inline uint16_t load_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
inline uint64_t load_be64(const uint8_t* p) {
  return uint64_t(load_be32(p)) << 32 | load_be32(p + 4);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, uint32_t(v >> 32));
  store_be32(p + 4, uint32_t(v));
}

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline bool equal_bytes(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// Reads fields from a bounded view; every read names the field it wanted so a
// truncated input reports exactly what was missing.
class Reader {
public:
  explicit Reader(ByteView data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  ByteView rest() const { return data_.subspan(pos_); }

  Result<uint8_t> u8(std::string_view field) {
    if (remaining() < 1) return short_read(field, 1);
    return data_[pos_++];
  }
  Result<uint16_t> u16(std::string_view field) {
    if (remaining() < 2) return short_read(field, 2);
    uint16_t v = load_be16(data_.data() + pos_);
    pos_ += 2;
    return v;
  }
  Result<uint32_t> u32(std::string_view field) {
    if (remaining() < 4) return short_read(field, 4);
    uint32_t v = load_be32(data_.data() + pos_);
    pos_ += 4;
    return v;
  }
  Result<uint64_t> u64(std::string_view field) {
    if (remaining() < 8) return short_read(field, 8);
    uint64_t v = load_be64(data_.data() + pos_);
    pos_ += 8;
    return v;
  }
  Result<ByteView> bytes(size_t n, std::string_view field) {
    if (remaining() < n) return short_read(field, n);
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }

private:
  Error short_read(std::string_view field, size_t need) const {
    return make_error(Errc::truncated, std::string(field),
                      "needs " + std::to_string(need) + " bytes at offset " + std::to_string(pos_) +
                          ", " + std::to_string(remaining()) + " left");
  }

  ByteView data_;
  size_t pos_ = 0;
};

// Writes into caller space. Writes past the end are refused and remembered, so an
// encoder can write everything and check ok() once (size, check, write, assert).
class Writer {
public:
  explicit Writer(MutBytes out) : out_(out) {}

  size_t size() const { return pos_; }
  size_t capacity() const { return out_.size(); }
  bool ok() const { return ok_; }
  MutBytes written() const { return out_.first(pos_); }
  uint8_t* at(size_t offset) { return out_.data() + offset; }

  void u8(uint8_t v) {
    if (reserve(1)) out_[pos_++] = v;
  }
  void u16(uint16_t v) {
    if (reserve(2)) {
      store_be16(out_.data() + pos_, v);
      pos_ += 2;
    }
  }
  void u32(uint32_t v) {
    if (reserve(4)) {
      store_be32(out_.data() + pos_, v);
      pos_ += 4;
    }
  }
  void u64(uint64_t v) {
    if (reserve(8)) {
      store_be64(out_.data() + pos_, v);
      pos_ += 8;
    }
  }
  void bytes(ByteView b) {
    if (!reserve(b.size())) return;
    if (!b.empty()) std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  void zeros(size_t n) {
    if (!reserve(n)) return;
    std::memset(out_.data() + pos_, 0, n);
    pos_ += n;
  }
  // Reserve n bytes to be filled later (e.g. a length field); returns the offset.
  size_t skip(size_t n) {
    size_t at = pos_;
    if (reserve(n)) pos_ += n;
    return at;
  }
  void patch_u16(size_t offset, uint16_t v) {
    if (ok_ && offset + 2 <= pos_) store_be16(out_.data() + offset, v);
  }
  void patch_u32(size_t offset, uint32_t v) {
    if (ok_ && offset + 4 <= pos_) store_be32(out_.data() + offset, v);
  }

  // The encoder's closing line: bytes written, or why not.
  Result<size_t> finish(std::string_view what) const {
    if (!ok_)
      return make_error(Errc::bad_length, std::string(what),
                        "output buffer of " + std::to_string(out_.size()) + " bytes is too small");
    return pos_;
  }

private:
  bool reserve(size_t n) {
    if (!ok_ || out_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  MutBytes out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

} // namespace ikekit
