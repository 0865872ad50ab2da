// IKE SA and Child SA lookup (RFC 7296 2.6: "the recipient's SPI" identifies the SA):
// SPIs handed out unique, and the hash indexes that find an SA in O(1) per datagram.
// Each index entry is a hint checked against the SA on use, so an entry left behind when
// an SA goes away or its SPIs move on in a rekey is harmless; sweep_indexes() drops such
// entries once the indexes have doubled.
#include "ike/sa_table.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>

namespace ikekit::ike {

// Unique against the index of local SPIs (every SPI handed out is indexed right after;
// with 64 random bits anything else would be a 2^-64 event).
uint64_t SaTable::new_ike_spi(Rng& rng) {
  for (;;) {
    uint8_t b[8];
    rng.fill(b);
    uint64_t v = shard_ike_spi(load_be64(b), shard);
    if (v == 0) continue;
    auto it = sa_by_local_spi.find(v);
    if (it == sa_by_local_spi.end()) return v;
    auto s = sas.find(it->second);
    if (s == sas.end() || s->second->local_spi() != v) {
      sa_by_local_spi.erase(it); // stale: free again
      return v;
    }
  }
}

// 32 random bits collide often enough at scale to check: an SPI is taken while the SA
// it was handed to holds a Child SA (or its first Child SA request) with it.
uint32_t SaTable::new_child_spi(Rng& rng, const IkeSa& owner) {
  for (;;) {
    uint8_t b[4];
    rng.fill(b);
    uint32_t v = shard_child_spi(load_be32(b), shard);
    if (v < 256) continue; // RFC 4303 2.1: 1-255 are reserved
    auto it = sa_by_child_spi.find(v);
    if (it != sa_by_child_spi.end()) {
      auto s = sas.find(it->second);
      if (s != sas.end() && (s->second->find_child(v) || s->second->first_child_spi == v)) continue;
    }
    sa_by_child_spi[v] = owner.id;
    sweep_indexes();
    return v;
  }
}

void SaTable::index_sa(IkeSa& sa) {
  touch(sa);
  if (uint64_t spi = sa.local_spi()) sa_by_local_spi[spi] = sa.id;
  if (!sa.initiator && sa.spi_i) half_open_by_spi_i[sa.spi_i] = sa.id;
  sweep_indexes();
}

bool peer_is_eap_client(const IkeSa& sa) {
  return sa.peer && sa.peer->remote_auth == AuthMethodKind::eap_mschapv2 &&
         !sa.eap_identity().empty();
}

uint64_t peer_identity_key(const IkeSa& sa) {
  const bool eap = peer_is_eap_client(sa);
  // The first byte keeps an EAP identity apart from an IKE identity of the same bytes.
  std::string key(1, eap ? '\xff' : char(sa.remote_id.type));
  if (eap)
    key += sa.eap_identity();
  else
    key.append(sa.remote_id.data.begin(), sa.remote_id.data.end());
  return std::hash<std::string_view>{}(key);
}

// O(1): a million IKE SAs of one identity (a load test, one user on many devices) must
// not make each new one walk the others.
void SaTable::index_peer_identity(IkeSa& sa) {
  if (sa.identity_indexed) return;
  sa.identity_indexed = true;
  sa_by_peer_identity.emplace(peer_identity_key(sa), sa.id);
  sweep_indexes();
}

std::vector<IkeSa*> SaTable::same_peer_identity(const IkeSa& sa) {
  std::vector<IkeSa*> found;
  const uint64_t key = peer_identity_key(sa);
  auto [it, last] = sa_by_peer_identity.equal_range(key);
  while (it != last) {
    auto s = sas.find(it->second);
    IkeSa* other = s == sas.end() ? nullptr : s->second.get();
    if (!other || other->state == IkeSaState::dead || peer_identity_key(*other) != key) {
      it = sa_by_peer_identity.erase(it); // stale: the SA is gone
      continue;
    }
    if (other != &sa) found.push_back(other);
    ++it;
  }
  return found;
}

// Hints of SAs that are gone (or whose SPIs moved on) are dropped once the indexes have
// doubled since the last sweep: O(1) amortized per insert, and the indexes stay
// proportional to the live SAs and Child SAs however long the engine runs.
void SaTable::sweep_indexes() {
  auto total = [&] {
    return sa_by_local_spi.size() + half_open_by_spi_i.size() + sa_by_child_spi.size() +
           sa_by_peer_identity.size();
  };
  if (total() < 2 * index_sweep_at) return;
  auto live = [&](SaId id) -> IkeSa* {
    auto s = sas.find(id);
    return s == sas.end() ? nullptr : s->second.get();
  };
  std::erase_if(sa_by_local_spi, [&](const auto& kv) {
    IkeSa* sa = live(kv.second);
    return !sa || sa->local_spi() != kv.first;
  });
  std::erase_if(half_open_by_spi_i, [&](const auto& kv) {
    IkeSa* sa = live(kv.second);
    return !sa || sa->initiator || sa->spi_i != kv.first;
  });
  std::erase_if(sa_by_child_spi, [&](const auto& kv) {
    IkeSa* sa = live(kv.second);
    return !sa || !(sa->find_child(kv.first) || sa->first_child_spi == kv.first);
  });
  std::erase_if(sa_by_peer_identity, [&](const auto& kv) {
    IkeSa* sa = live(kv.second);
    return !sa || sa->state == IkeSaState::dead || peer_identity_key(*sa) != kv.first;
  });
  index_sweep_at = std::max<size_t>(1024, total());
}

void SaTable::touch(IkeSa& sa) {
  if (sa.timer_touched) return;
  sa.timer_touched = true;
  touched_.push_back(sa.id);
}

void SaTable::flush_timers() {
  for (SaId id : touched_) {
    auto it = sas.find(id);
    if (it == sas.end()) continue; // gone: its TimerSlot took the entry along
    IkeSa& sa = *it->second;
    sa.timer_touched = false;
    timers.set(sa.timer, id, sa_deadline(sa, nat_keepalive));
  }
  touched_.clear();
  if (timer_self_check) check_timers();
}

void SaTable::check_timers() const {
  for (const auto& [id, sa] : sas) {
    auto want = sa_deadline(*sa, nat_keepalive);
    auto have = sa->timer.at();
    if (want == have) continue;
    auto ms = [](std::optional<TimePoint> t) {
      return t ? std::to_string(
                     std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch())
                         .count())
               : std::string("none");
    };
    std::fprintf(stderr, "timer_self_check: IKE SA %llu deadline %s, its timer entry %s\n",
                 static_cast<unsigned long long>(id), ms(want).c_str(), ms(have).c_str());
    std::abort();
  }
}

IkeSa* SaTable::find_sa(uint64_t local_spi) {
  if (auto it = sa_by_local_spi.find(local_spi); it != sa_by_local_spi.end()) {
    auto s = sas.find(it->second);
    if (s != sas.end() && s->second->local_spi() == local_spi) return s->second.get();
    sa_by_local_spi.erase(it);
  }
  return nullptr;
}

IkeSa* SaTable::find_half_open(uint64_t spi_i, const Endpoint& remote) {
  auto it = half_open_by_spi_i.find(spi_i);
  if (it == half_open_by_spi_i.end()) return nullptr;
  auto s = sas.find(it->second);
  if (s != sas.end() && !s->second->initiator && s->second->spi_i == spi_i &&
      s->second->remote.address == remote.address)
    return s->second.get();
  return nullptr;
}

} // namespace ikekit::ike
