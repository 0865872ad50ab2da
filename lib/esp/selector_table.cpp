#include "esp/selector_table.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace ikekit::esp {

namespace {

uint32_t port_span(const TrafficSelector& t) {
  return t.opaque_port() ? 0 : uint32_t(t.port_end - t.port_start);
}

// Among the rules under one remote prefix: which is tried first.
bool more_specific(const SelectorPair& a, uint64_t seq_a, const SelectorPair& b, uint64_t seq_b) {
  if (a.local.addr.len != b.local.addr.len) return a.local.addr.len > b.local.addr.len;
  if ((a.protocol != 0) != (b.protocol != 0)) return a.protocol != 0;
  uint32_t span_a = port_span(a.local) + port_span(a.remote);
  uint32_t span_b = port_span(b.local) + port_span(b.remote);
  if (span_a != span_b) return span_a < span_b;
  return seq_a > seq_b;
}

} // namespace

std::optional<uint32_t> SelectorTable::conflict(uint64_t owner, const SaSelectors& s) const {
  std::vector<SelectorPair> pairs = selector_pairs(s);
  for (const auto& [id, r] : records_) {
    if (r.owner == owner) continue;
    for (const SelectorPair& a : pairs)
      for (const SelectorPair& b : r.pairs)
        if (pairs_overlap(a, b)) return id;
  }
  return std::nullopt;
}

void SelectorTable::add(uint32_t id, uint64_t owner, const SaSelectors& s,
                        std::optional<uint32_t> replaces) {
  assert(!contains(id));
  Record& r = records_[id];
  r.owner = owner;
  r.pairs = selector_pairs(s);
  r.seq = ++next_seq_;
  if (replaces && *replaces != id) { // `id` was not present: it replaces nothing
    auto old = records_.find(*replaces);
    if (old != records_.end() && old->second.owner == owner) {
      // RFC 7296 2.8: the new SA carries the traffic from now on.
      if (old->second.indexed) unindex(old->first, old->second);
      old->second.replaced_by = id;
      r.replaces = replaces;
    }
  }
  index(id, r);
}

bool SelectorTable::remove(uint32_t id) {
  auto it = records_.find(id);
  if (it == records_.end()) return false;
  Record& r = it->second;
  if (r.indexed) unindex(id, r);
  // The SA it replaced is still there (the rekey was undone): select it again.
  if (r.replaces) {
    auto old = records_.find(*r.replaces);
    if (old != records_.end() && old->second.replaced_by == id) {
      old->second.replaced_by.reset();
      index(old->first, old->second);
    }
  }
  if (r.replaced_by) {
    auto newer = records_.find(*r.replaced_by);
    if (newer != records_.end()) newer->second.replaces.reset();
  }
  records_.erase(it);
  return true;
}

bool SelectorTable::selectable(uint32_t id) const {
  auto it = records_.find(id);
  return it != records_.end() && it->second.indexed;
}

std::optional<uint32_t> SelectorTable::replaced_by(uint32_t id) const {
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return it->second.replaced_by;
}

void SelectorTable::index(uint32_t id, Record& r) {
  for (const SelectorPair& pair : r.pairs) {
    auto& rules = find_or_insert(Key{pair.remote_bits.value, pair.remote.addr.len}).rules;
    Rule rule{id, pair, r.seq};
    auto pos = std::find_if(rules.begin(), rules.end(), [&](const Rule& x) {
      return more_specific(rule.pair, rule.seq, x.pair, x.seq);
    });
    rules.insert(pos, rule);
    auto& lens = lengths_[pair.remote_bits.value.v6 ? 1 : 0];
    auto l = std::find_if(lens.begin(), lens.end(),
                          [&](const auto& e) { return e.first <= pair.remote.addr.len; });
    if (l != lens.end() && l->first == pair.remote.addr.len)
      ++l->second;
    else
      lens.insert(l, {pair.remote.addr.len, 1});
    ++rule_count_;
  }
  r.indexed = true;
}

void SelectorTable::unindex(uint32_t id, Record& r) {
  for (const SelectorPair& pair : r.pairs) {
    Key key{pair.remote_bits.value, pair.remote.addr.len};
    Slot* slot = find(key);
    if (!slot) continue;
    auto& rules = slot->rules;
    auto rule = std::find_if(rules.begin(), rules.end(), [&](const Rule& x) { return x.id == id; });
    if (rule == rules.end()) continue;
    rules.erase(rule);
    if (rules.empty()) erase(key);
    auto& lens = lengths_[pair.remote_bits.value.v6 ? 1 : 0];
    auto l = std::find_if(lens.begin(), lens.end(),
                          [&](const auto& e) { return e.first == pair.remote.addr.len; });
    if (l != lens.end() && --l->second == 0) lens.erase(l);
    --rule_count_;
  }
  r.indexed = false;
}

std::optional<uint32_t> SelectorTable::lookup(const PacketSelector& p) const {
  for (const auto& length : lengths_[p.dst.v6 ? 1 : 0]) {
    const Slot* slot = find(Key{PrefixBits::masked(p.dst, length.first), length.first});
    if (!slot) continue;
    for (const Rule& r : slot->rules)
      if (pair_matches_outbound(r.pair, p)) return r.id;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- the hash table

size_t SelectorTable::hash(const Key& k) {
  uint64_t h = k.addr.hi * 0x9e3779b97f4a7c15ull;
  h ^= (k.addr.lo + k.len + (uint64_t(k.addr.v6) << 8)) * 0xc2b2ae3d27d4eb4full;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return size_t(h ^ (h >> 32));
}

const SelectorTable::Slot* SelectorTable::find(const Key& k) const {
  if (slots_.empty()) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = hash(k) & mask;; i = (i + 1) & mask) {
    if (!slots_[i].used) return nullptr;
    if (slots_[i].key == k) return &slots_[i];
  }
}

SelectorTable::Slot* SelectorTable::find(const Key& k) {
  return const_cast<Slot*>(std::as_const(*this).find(k));
}

SelectorTable::Slot& SelectorTable::find_or_insert(const Key& k) {
  if ((used_slots_ + 1) * 2 > slots_.size()) grow();
  size_t mask = slots_.size() - 1;
  size_t i = hash(k) & mask;
  while (slots_[i].used && !(slots_[i].key == k))
    i = (i + 1) & mask;
  if (!slots_[i].used) {
    slots_[i].used = true;
    slots_[i].key = k;
    ++used_slots_;
  }
  return slots_[i];
}

// Linear probing without tombstones: the later slots of the run move back into the
// gap unless their home slot lies between the gap and themselves.
void SelectorTable::erase(const Key& k) {
  if (slots_.empty()) return;
  size_t mask = slots_.size() - 1;
  size_t gap = hash(k) & mask;
  while (slots_[gap].used && !(slots_[gap].key == k))
    gap = (gap + 1) & mask;
  if (!slots_[gap].used) return;
  for (size_t j = (gap + 1) & mask; slots_[j].used; j = (j + 1) & mask) {
    size_t home = hash(slots_[j].key) & mask;
    bool stays = gap <= j ? (gap < home && home <= j) : (gap < home || home <= j);
    if (stays) continue;
    slots_[gap] = std::move(slots_[j]);
    gap = j;
  }
  slots_[gap] = Slot{};
  --used_slots_;
}

void SelectorTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_ = std::vector<Slot>(std::max<size_t>(16, old.size() * 2));
  used_slots_ = 0;
  for (Slot& s : old)
    if (s.used) find_or_insert(s.key).rules = std::move(s.rules);
}

} // namespace ikekit::esp
