// Helpers shared by the fuzz targets: an input read as a stream of operands (past the
// end every read yields zero or an empty view, so targets need no length checks) and
// the committed test PKI (tests/data/pki), read once at start-up.
#pragma once

#include "../tests/data_dir.hpp"
#include "base/bytes.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace ikekit::fuzz {

class Input {
public:
  Input(const uint8_t* data, size_t size) : data_(data, size) {}

  bool empty() const { return pos_ >= data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
  uint16_t u16() { return uint16_t(u8() << 8 | u8()); }
  uint32_t u32() { return uint32_t(u16()) << 16 | u16(); }
  uint64_t u64() { return uint64_t(u32()) << 32 | u32(); }
  // Up to n bytes (fewer at the end of the input).
  ByteView take(size_t n) {
    n = std::min(n, remaining());
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  // A 2-byte big-endian length, then that many bytes.
  ByteView chunk16() { return take(u16()); }
  ByteView rest() { return take(remaining()); }

private:
  ByteView data_;
  size_t pos_ = 0;
};

inline std::string_view as_text(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A file of the committed test PKI (tests/data/pki, through the `data` link beside the
// target: fuzz/CMakeLists.txt); a missing file is a broken build, not an input.
inline std::string pki_file(const char* name) {
  std::string path = ::ikekit::test::data_dir() + "/pki/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz: cannot read %s\n", path.c_str());
    std::abort();
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A broken invariant: crash so libFuzzer keeps the input.
#define IKEKIT_FUZZ_CHECK(cond)                                                                    \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "fuzz: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

} // namespace ikekit::fuzz
