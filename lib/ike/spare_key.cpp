// The key pair of the next IKE_SA_INIT, made while the engine is idle (Engine::idle_work).
//
// Each side of an X25519 handshake runs two ladders: its public value and the shared
// secret. The first needs nothing from the peer, so an engine whose I/O layer has
// nothing to read makes it ahead of time; the initiator then sends KEi, and the
// responder answers KEr, after one ladder less. Forward secrecy is untouched: a spare
// pair is used by exactly one IKE_SA_INIT (moved out of here) and never kept after;
// a pair of a group no longer wanted is freed, and KeyExchange wipes its private key
// when freed (crypto/kex.cpp: SecretBytes, BN_clear_free, OpenSSL's ECX key free).
// Nothing is drawn from the Rng unless the I/O layer calls idle_work(), so engines that
// never call it (the engine tests' simulated network) draw exactly as before.
#include "ike/engine_impl.hpp"

namespace ikekit::ike {

const crypto::TransformInfo* Engine::Impl::spare_group_wanted() const {
  if (spare_group) return spare_group;
  for (const auto& p : peers)
    if (!p->ike_proposals.empty() && !p->ike_proposals[0].ke.empty())
      return p->ike_proposals[0].ke[0];
  return nullptr;
}

Result<crypto::KeyExchange> Engine::Impl::init_key_exchange(const crypto::TransformInfo& group) {
  spare_group = &group; // the next spare is of the group the last IKE_SA_INIT used
  if (spare_kex && &spare_kex->info() == &group) {
    crypto::KeyExchange k = std::move(*spare_kex);
    spare_kex.reset();
    ++stats.spare_key_exchanges_used;
    return k;
  }
  spare_kex.reset(); // another group: freed (wiped), never used
  return crypto::KeyExchange::generate(group, rng);
}

bool Engine::Impl::has_idle_work() const {
  const crypto::TransformInfo* g = spare_group_wanted();
  return g && !(spare_kex && &spare_kex->info() == g);
}

bool Engine::Impl::idle_work() {
  if (!has_idle_work()) return false;
  auto k = crypto::KeyExchange::generate(*spare_group_wanted(), rng);
  if (!k) { // a group this build cannot make: do not try again at every wait
    spare_group = nullptr;
    return false;
  }
  return add_spare(std::move(*k));
}

bool Engine::Impl::add_spare(crypto::KeyExchange k) {
  if (!has_idle_work() || &k.info() != spare_group_wanted()) return false; // freed, wiped
  spare_kex = std::move(k); // one of another group, if any, is freed
  ++stats.spare_key_exchanges_made;
  return true;
}

bool Engine::idle_work(TimePoint now) {
  impl_->now = now;
  return impl_->idle_work();
}

bool Engine::has_idle_work() const { return impl_->has_idle_work(); }

const crypto::TransformInfo* Engine::spare_key_group() const {
  return impl_->has_idle_work() ? impl_->spare_group_wanted() : nullptr;
}

void Engine::add_spare_key(crypto::KeyExchange kex) { impl_->add_spare(std::move(kex)); }

} // namespace ikekit::ike
