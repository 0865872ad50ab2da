#include "ike/address_pool.hpp"

#include <algorithm>
#include <array>

namespace ikekit::ike {

namespace {

constexpr unsigned kMaxHostBits = 32; // an IPv6 pool uses at most 2^32 addresses

// Host bits of `p` beyond the prefix length must be zero.
bool host_bits_zero(const Prefix& p) {
  ByteView b = p.addr.bytes();
  for (size_t bit = p.len; bit < b.size() * 8; ++bit)
    if (b[bit / 8] & (0x80 >> (bit % 8))) return false;
  return true;
}

} // namespace

Result<AddressPool> AddressPool::create(const Prefix& prefix) {
  if (!host_bits_zero(prefix))
    return make_error(Errc::usage, "pool",
                      "\"" + prefix.to_string() +
                          "\": expected a network address (host bits zero), like 10.99.0.0/24");
  unsigned bits = (prefix.addr.is_v4() ? 32u : 128u) - prefix.len;
  AddressPool p;
  p.prefix_ = prefix;
  uint64_t span = uint64_t(1) << std::min(bits, kMaxHostBits);
  if (prefix.addr.is_v4() && bits >= 2) {
    p.first_ = 1;       // not the network address
    p.size_ = span - 2; // nor the broadcast address
  } else if (!prefix.addr.is_v4() && bits >= 1) {
    p.first_ = 1; // not the Subnet-Router anycast address
    p.size_ = span - 1;
  } else {
    p.size_ = span;
  }
  return p;
}

Result<AddressPool> AddressPool::parse(std::string_view cidr) {
  auto prefix = Prefix::parse(cidr);
  if (!prefix || cidr.find('/') == std::string_view::npos)
    return make_error(Errc::usage, "pool",
                      "\"" + std::string(cidr) +
                          "\": expected an address prefix like 10.99.0.0/24 or fd99::/112");
  return create(*prefix);
}

IpAddress AddressPool::address_at(uint64_t offset) const {
  ByteView base = prefix_.addr.bytes();
  std::array<uint8_t, 16> b{};
  std::copy(base.begin(), base.end(), b.begin());
  uint64_t add = first_ + offset;
  // Add to the low-order bytes with carry (the offset never leaves the prefix).
  for (size_t i = base.size(); i-- > 0 && add != 0;) {
    unsigned sum = unsigned(b[i]) + unsigned(add & 0xff);
    b[i] = uint8_t(sum);
    add = (add >> 8) + (sum >> 8);
  }
  ByteView v(b.data(), base.size());
  return prefix_.addr.is_v4() ? IpAddress::v4(v) : IpAddress::v6(v);
}

std::optional<AddressPool::Acquired> AddressPool::acquire(const std::string& identity) {
  if (auto it = by_identity_.find(identity); it != by_identity_.end()) {
    Slot& s = slots_.at(it->second);
    if (s.holds == 0) {
      offline_.erase(s.lru);
      ++online_;
    }
    ++s.holds;
    return Acquired{address_at(it->second), true};
  }
  uint64_t offset = 0;
  if (next_fresh_ < size_) {
    offset = next_fresh_++;
  } else if (!offline_.empty()) {
    // Reassign the lease released longest ago: its identity forgets the address.
    offset = offline_.front();
    offline_.pop_front();
    by_identity_.erase(slots_.at(offset).identity);
  } else {
    return std::nullopt;
  }
  slots_[offset] = Slot{identity, 1, {}};
  by_identity_[identity] = offset;
  ++online_;
  return Acquired{address_at(offset), false};
}

bool AddressPool::release(const std::string& identity) {
  auto it = by_identity_.find(identity);
  if (it == by_identity_.end()) return false;
  Slot& s = slots_.at(it->second);
  if (s.holds == 0) return false;
  if (--s.holds == 0) {
    --online_;
    s.lru = offline_.insert(offline_.end(), it->second);
  }
  return true;
}

std::vector<AddressPool::LeaseInfo> AddressPool::leases() const {
  std::vector<std::pair<uint64_t, const Slot*>> sorted;
  sorted.reserve(slots_.size());
  for (const auto& [offset, slot] : slots_)
    sorted.emplace_back(offset, &slot);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LeaseInfo> out;
  out.reserve(sorted.size());
  for (const auto& [offset, slot] : sorted)
    out.push_back(LeaseInfo{address_at(offset), slot->identity, slot->holds > 0});
  return out;
}

} // namespace ikekit::ike
