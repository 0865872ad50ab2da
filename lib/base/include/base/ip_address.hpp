// An IPv4 or IPv6 address as a value (no sockets here; io/ converts to sockaddr).
#pragma once

#include "base/bytes.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ikekit {

class IpAddress {
public:
  enum class Family : uint8_t { v4 = 4, v6 = 6 };

  IpAddress() = default;
  static IpAddress v4(ByteView four_bytes);
  static IpAddress v6(ByteView sixteen_bytes);
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  ByteView bytes() const { return ByteView(bytes_.data(), is_v4() ? 4 : 16); }
  std::string to_string() const;
  void append_to(std::string& out) const; // to_string()'s text, appended

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return a.family_ != b.family_ ? a.family_ < b.family_ : a.bytes_ < b.bytes_;
  }

private:
  Family family_ = Family::v4;
  std::array<uint8_t, 16> bytes_{};
};

} // namespace ikekit
