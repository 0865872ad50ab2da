#include "decode/key_store.hpp"

#include <algorithm>

namespace ikekit::decode {

void KeyStore::add(IkeSaKeys keys) {
  auto key = std::make_pair(keys.spi_i, keys.spi_r);
  auto it = ike_.find(key);
  // Keys from a file win over derived ones; never replace a file's keys silently.
  if (it != ike_.end() && it->second.source == KeySource::key_file &&
      keys.source == KeySource::derived)
    return;
  ike_.insert_or_assign(key, std::move(keys));
}

void KeyStore::add(ChildSaKeys keys) {
  keys.generation = ++generation_;
  for (auto& c : child_) {
    if (c.spi == keys.spi && c.dst == keys.dst) {
      if (c.source == KeySource::key_file && keys.source == KeySource::derived) return;
      c = std::move(keys);
      return;
    }
  }
  child_.push_back(std::move(keys));
}

IkeSaKeys* KeyStore::find_ike(uint64_t spi_i, uint64_t spi_r) {
  auto it = ike_.find({spi_i, spi_r});
  return it == ike_.end() ? nullptr : &it->second;
}

ChildSaKeys* KeyStore::find_child(uint32_t spi, const IpAddress& dst) {
  ChildSaKeys* any = nullptr;
  for (auto& c : child_) {
    if (c.spi != spi) continue;
    if (c.dst && *c.dst == dst) return &c;
    if (!c.dst) any = &c;
  }
  for (const auto& m : moved_)
    if (child_[m.index].spi == spi && m.dst == dst) return &child_[m.index];
  return any;
}

void KeyStore::set_owner(uint32_t spi, const IpAddress& dst, std::pair<uint64_t, uint64_t> ike_sa) {
  ChildSaKeys* c = find_child(spi, dst);
  if (c && !c->ike_sa) c->ike_sa = ike_sa;
}

namespace {

// Where ESP valid from `src` to `dst` is also valid after an IKE SA moved from
// old_i <-> old_r to new_i <-> new_r (the same way round), if the move concerns it.
std::optional<std::pair<IpAddress, IpAddress>>
moved_pair(const std::optional<IpAddress>& src, const IpAddress& dst, const IpAddress& old_i,
           const IpAddress& old_r, const IpAddress& new_i, const IpAddress& new_r) {
  if (dst == old_r && (!src || *src == old_i)) return std::make_pair(new_i, new_r);
  if (dst == old_i && (!src || *src == old_r)) return std::make_pair(new_r, new_i);
  return std::nullopt;
}

} // namespace

size_t KeyStore::follow_move(const IpAddress& old_i, const IpAddress& old_r, const IpAddress& new_i,
                             const IpAddress& new_r, std::pair<uint64_t, uint64_t> ike_sa) {
  moves_.push_back({old_i, old_r, new_i, new_r, ike_sa});
  // An ESP SA a log installed at the old addresses may now be met at the new ones.
  installed_misses_.clear();
  return apply_move(moves_.back(), 0, child_.size());
}

size_t KeyStore::apply_move(const Move& m, size_t first, size_t last) {
  auto moved = [&](const std::optional<IpAddress>& src, const IpAddress& dst) {
    return moved_pair(src, dst, m.old_i, m.old_r, m.new_i, m.new_r);
  };
  auto valid_for = [&](size_t index, const IpAddress& src, const IpAddress& dst) {
    const ChildSaKeys& c = child_[index];
    if (c.dst && *c.dst == dst && (!c.src || *c.src == src)) return true;
    for (const auto& v : moved_)
      if (v.index == index && v.src == src && v.dst == dst) return true;
    return false;
  };
  std::vector<MovedChildSa> added; // collected first: moved_ is being read
  for (size_t i = first; i < last; ++i) {
    if (!child_[i].dst) continue; // valid everywhere already
    std::vector<std::pair<IpAddress, IpAddress>> to;
    if (auto p = moved(child_[i].src, *child_[i].dst)) to.push_back(*p);
    for (const auto& v : moved_)
      if (v.index == i)
        if (auto p = moved(v.src, v.dst)) to.push_back(*p);
    for (const auto& [src, dst] : to) {
      bool known = valid_for(i, src, dst);
      for (const auto& a : added)
        known = known || (a.index == i && a.src == src && a.dst == dst);
      if (known) continue;
      added.push_back({i, src, dst});
    }
  }
  std::set<size_t> touched;
  for (const auto& a : added) {
    touched.insert(a.index);
    if (!child_[a.index].ike_sa) child_[a.index].ike_sa = m.ike_sa;
    moved_.push_back(a);
  }
  return touched.size();
}

bool KeyStore::moves_lead_to(const IpAddress& src, const IpAddress& dst,
                             const IpAddress& to) const {
  // The pairs the entry would be valid between, grown move by move as apply_move grows them.
  // Bounded: moves back and forth between a few addresses give few pairs; a crafted
  // capture's hundreds of moves stop growing it here.
  constexpr size_t kMaxPairs = 64;
  std::vector<std::pair<IpAddress, IpAddress>> pairs{{src, dst}};
  for (const auto& m : moves_) {
    const size_t n = pairs.size();
    for (size_t i = 0; i < n && pairs.size() < kMaxPairs; ++i)
      if (auto p = moved_pair(pairs[i].first, pairs[i].second, m.old_i, m.old_r, m.new_i, m.new_r);
          p && std::find(pairs.begin(), pairs.end(), *p) == pairs.end())
        pairs.push_back(*p);
  }
  return std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.second == to; });
}

IkeSaKeys* KeyStore::resolve_ike(const IkeSaEvidence& ev) {
  for (auto& log : logs_)
    if (auto k = log.match_ike(ev)) {
      add(std::move(*k));
      return find_ike(ev.spi_i, ev.spi_r);
    }
  return nullptr;
}

bool KeyStore::resolve_child(const ChildSaEvidence& ev) {
  for (auto& log : logs_)
    if (auto k = log.match_child(ev)) {
      add(std::move(k->first));
      add(std::move(k->second));
      return true;
    }
  return false;
}

ChildSaKeys* KeyStore::resolve_installed(uint32_t spi, const IpAddress& dst) {
  if (logs_.empty() || !installed_misses_.insert({spi, dst}).second) return nullptr;
  // Installed at `dst`, or where an IKE SA was when the log installed it and moved from
  // since: the moves the capture authenticated (follow_move) carry its keys here.
  auto reaches = [&](const IpAddress& src, const IpAddress& installed_dst) {
    return installed_dst == dst || moves_lead_to(src, installed_dst, dst);
  };
  for (auto& log : logs_)
    if (auto k = log.match_installed(spi, reaches)) {
      const size_t before = child_.size();
      add(std::move(*k));
      // Matched after the moves: it follows each of them now, as if it had been known then.
      for (const auto& m : moves_)
        apply_move(m, before, child_.size());
      return find_child(spi, dst);
    }
  return nullptr;
}

} // namespace ikekit::decode
