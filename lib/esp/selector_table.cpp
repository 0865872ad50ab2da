#include "esp/selector_table.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

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

size_t SelectorTable::KeyHash::operator()(const Key& k) const {
  uint64_t a, b;
  std::memcpy(&a, k.addr.data(), 8);
  std::memcpy(&b, k.addr.data() + 8, 8);
  uint64_t h = a * 0x9e3779b97f4a7c15ull;
  h ^= (b + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2)) * 0xbf58476d1ce4e5b9ull;
  h ^= uint64_t(k.len) << 1 | uint64_t(k.v6);
  return size_t(h ^ (h >> 31));
}

SelectorTable::Key SelectorTable::key_of(const IpAddress& a, uint8_t len) {
  Key k;
  ByteView b = a.bytes();
  std::memcpy(k.addr.data(), b.data(), b.size());
  size_t full = len / 8, rest = len % 8;
  if (full < b.size()) {
    if (rest) k.addr[full] = uint8_t(k.addr[full] & (0xff << (8 - rest)));
    for (size_t i = full + (rest ? 1 : 0); i < b.size(); ++i)
      k.addr[i] = 0;
  }
  k.len = len;
  k.v6 = !a.is_v4();
  return k;
}

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
  if (replaces) {
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
    auto& bucket = buckets_[key_of(pair.remote.addr.addr, pair.remote.addr.len)];
    Rule rule{id, pair, r.seq};
    auto pos = std::find_if(bucket.begin(), bucket.end(), [&](const Rule& x) {
      return more_specific(rule.pair, rule.seq, x.pair, x.seq);
    });
    bucket.insert(pos, rule);
    auto& lens = lengths_[pair.remote.addr.addr.is_v4() ? 0 : 1];
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
    auto b = buckets_.find(key_of(pair.remote.addr.addr, pair.remote.addr.len));
    if (b == buckets_.end()) continue;
    auto rule =
        std::find_if(b->second.begin(), b->second.end(), [&](const Rule& x) { return x.id == id; });
    if (rule == b->second.end()) continue;
    b->second.erase(rule);
    if (b->second.empty()) buckets_.erase(b);
    auto& lens = lengths_[pair.remote.addr.addr.is_v4() ? 0 : 1];
    auto l = std::find_if(lens.begin(), lens.end(),
                          [&](const auto& e) { return e.first == pair.remote.addr.len; });
    if (l != lens.end() && --l->second == 0) lens.erase(l);
    --rule_count_;
  }
  r.indexed = false;
}

std::optional<uint32_t> SelectorTable::lookup(const PacketSelector& p) const {
  for (const auto& length : lengths_[p.dst.is_v4() ? 0 : 1]) {
    auto b = buckets_.find(key_of(p.dst, length.first));
    if (b == buckets_.end()) continue;
    for (const Rule& r : b->second)
      if (pair_matches_outbound(r.pair, p)) return r.id;
  }
  return std::nullopt;
}

} // namespace ikekit::esp
