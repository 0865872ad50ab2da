// The SPD half a user-space data plane needs for outbound traffic (RFC 4301 4.4.1,
// 5.1): which SA an outbound packet goes out on, by its selectors. Sans-I/O, owned by
// one thread; adding and removing SAs allocates, lookup() does not.
//
// Lookup is a longest-prefix match on the remote selector (one probe of an
// open-addressing hash table per distinct remote prefix length present, longest first,
// so thousands of road-warrior SAs with a /32 each cost one probe), then the local
// address, protocol and ports of the rules under that prefix; a packet no rule under
// the longest prefix takes falls back to shorter prefixes. Among the rules of one
// prefix the most specific wins (longer local prefix, a named protocol, narrower
// ports), then the newest.
//
// Ownership (issue 11): every SA belongs to an owner, its IKE SA. SAs of one owner may
// overlap (the more specific wins); an SA whose selectors overlap those of another
// owner's SA is refused by the caller (conflict() says which), so one peer never
// takes another peer's traffic. A rekey (RFC 7296 2.8) names the SA it replaces: the
// new SA takes over the old one's place at once; the old one stays (it may still
// be removed, or come back if the new one goes first) but is no longer selected.
#pragma once

#include "esp/selector.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace ikekit::esp {

class SelectorTable {
public:
  // Another owner's SA whose selectors overlap `selectors` (pairs_overlap), if any.
  std::optional<uint32_t> conflict(uint64_t owner, const SaSelectors& selectors) const;

  // Adds SA `id` (chosen by the caller, not yet present) of `owner`. The caller has
  // checked conflict(). `replaces`: the SA this one rekeys; ignored when it is gone
  // or belongs to another owner.
  void add(uint32_t id, uint64_t owner, const SaSelectors& selectors,
           std::optional<uint32_t> replaces = std::nullopt);
  // Removes SA `id`; the SA it replaced, if still present, is selected again. False
  // when there is no such SA.
  bool remove(uint32_t id);

  // The SA an outbound packet goes out on (RFC 4301 5.1), or nullopt (discard).
  std::optional<uint32_t> lookup(const PacketSelector& p) const;

  bool contains(uint32_t id) const { return records_.count(id) != 0; }
  // Whether `id` is selected by lookup (present and not replaced).
  bool selectable(uint32_t id) const;
  // The SA that replaced `id`, if any.
  std::optional<uint32_t> replaced_by(uint32_t id) const;
  size_t size() const { return records_.size(); }
  // Rules in the index (one per selected SA's selector pair).
  size_t rules() const { return rule_count_; }

private:
  struct Record {
    uint64_t owner = 0;
    std::vector<SelectorPair> pairs;
    uint64_t seq = 0; // insertion order: newer wins a tie
    bool indexed = false;
    std::optional<uint32_t> replaces;
    std::optional<uint32_t> replaced_by;
  };
  struct Rule {
    uint32_t id = 0;
    SelectorPair pair;
    uint64_t seq = 0;
  };
  // A remote prefix: its address with the host bits cleared, and its length.
  struct Key {
    AddressBits addr;
    uint8_t len = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  // One slot of the open-addressing table (linear probing, power-of-two size).
  struct Slot {
    bool used = false;
    Key key;
    std::vector<Rule> rules; // most specific first
  };
  static size_t hash(const Key& k);
  const Slot* find(const Key& k) const;
  Slot* find(const Key& k);
  Slot& find_or_insert(const Key& k);
  void erase(const Key& k);
  void grow();

  void index(uint32_t id, Record& r);
  void unindex(uint32_t id, Record& r);

  std::unordered_map<uint32_t, Record> records_;
  std::vector<Slot> slots_; // size a power of two, at most half used
  size_t used_slots_ = 0;
  // Per family (IPv4, IPv6): the remote prefix lengths in the index, longest first,
  // with how many rules have each.
  std::array<std::vector<std::pair<uint8_t, size_t>>, 2> lengths_;
  size_t rule_count_ = 0;
  uint64_t next_seq_ = 0;
};

} // namespace ikekit::esp
