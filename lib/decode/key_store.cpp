#include "decode/key_store.hpp"

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
  return any;
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
  for (auto& log : logs_)
    if (auto k = log.match_installed(spi, dst)) {
      add(std::move(*k));
      return find_child(spi, dst);
    }
  return nullptr;
}

} // namespace ikekit::decode
