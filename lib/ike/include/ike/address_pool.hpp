// A responder's pool of internal addresses for the configuration payload (RFC 7296
// 2.19, 3.15.1 INTERNAL_IP4_ADDRESS / INTERNAL_IP6_ADDRESS), sans-I/O.
//
// Leases are keyed by the peer's identity, as strongSwan's mem_pool: an identity that
// already holds an address (online) gets the same one again; a released lease goes
// offline but is remembered, so the identity gets its address back while no one else
// took it. Order of choice for a new lease: the identity's remembered address, then an
// address never handed out, then the oldest offline lease of another identity.
// Every operation is O(1) on average (hash maps, a high-water mark, an LRU list): no
// scan of the pool, which may hold millions of addresses.
#pragma once

#include "base/ip_address.hpp"
#include "base/prefix.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ikekit::ike {

class AddressPool {
public:
  // IPv4: the network and broadcast addresses are never leased (except in a /31 or /32).
  // IPv6: the Subnet-Router anycast address (RFC 4291 2.6.1, all host bits zero) is
  // never leased (except in a /128). At most 2^32 addresses of an IPv6 prefix are used.
  // Errors: Errc::usage, field "pool" (host bits set).
  static Result<AddressPool> create(const Prefix& prefix);
  // "10.99.0.0/24", "fd99::/112". Errors: Errc::usage, field "pool".
  static Result<AddressPool> parse(std::string_view cidr);

  struct Acquired {
    IpAddress address;
    bool reused = false; // the identity had this address before (online or remembered)
  };
  // A lease for `identity`; nullopt when every address is online (the pool is exhausted).
  // An identity that is already online gets its address again (counted twice: two IKE
  // SAs of one identity each release once).
  std::optional<Acquired> acquire(const std::string& identity);
  // Releases one hold of the identity's lease; at zero it goes offline (remembered).
  // false when the identity holds no online lease here.
  bool release(const std::string& identity);

  const Prefix& prefix() const { return prefix_; }
  uint64_t size() const { return size_; }              // addresses that may be leased
  uint64_t online() const { return online_; }          // leases in use
  uint64_t offline() const { return offline_.size(); } // released, remembered
  uint64_t never_used() const { return size_ - next_fresh_; }

  struct LeaseInfo {
    IpAddress address;
    std::string identity;
    bool online = false;
  };
  // Every remembered lease (online and offline), in address order; O(n log n), for ikectl.
  std::vector<LeaseInfo> leases() const;

private:
  struct Slot {
    std::string identity;
    uint32_t holds = 0;                // 0: offline
    std::list<uint64_t>::iterator lru; // in offline_ while offline
  };
  IpAddress address_at(uint64_t offset) const;

  Prefix prefix_;
  uint64_t first_ = 0; // offset of the first leasable address from the prefix
  uint64_t size_ = 0;
  uint64_t next_fresh_ = 0; // offsets [0, next_fresh_) were handed out at least once
  uint64_t online_ = 0;
  std::unordered_map<std::string, uint64_t> by_identity_;
  std::unordered_map<uint64_t, Slot> slots_;
  std::list<uint64_t> offline_; // oldest release first
};

} // namespace ikekit::ike
