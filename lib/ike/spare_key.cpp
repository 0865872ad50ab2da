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

namespace {
const crypto::TransformInfo* first_proposal_group(const Engine::Impl& e) {
  for (const auto& p : e.peers)
    if (!p->ike_proposals.empty() && !p->ike_proposals[0].ke.empty())
      return p->ike_proposals[0].ke[0];
  return nullptr;
}
} // namespace

const crypto::TransformInfo* Engine::Impl::spare_group_wanted() const {
  const crypto::TransformInfo* g = spare_group ? spare_group : first_proposal_group(*this);
  return g == spare_failed ? nullptr : g;
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
  auto k = crypto::KeyExchange::generate(group, rng);
  if (k && &group == spare_failed) spare_failed = nullptr; // it works now: spares again
  return k;
}

bool Engine::Impl::has_idle_work() const {
  const crypto::TransformInfo* g = spare_group_wanted();
  return g && !(spare_kex && &spare_kex->info() == g);
}

bool Engine::Impl::idle_work() {
  if (!has_idle_work()) return false;
  const crypto::TransformInfo& group = *spare_group_wanted();
  auto k = crypto::KeyExchange::generate(group, rng);
  if (!k) {
    spare_failed_in(group);
    return false;
  }
  return add_spare(std::move(*k));
}

// A group this build (or this Rng) cannot make a pair in: not tried again at every wait,
// which would run the failing generation each time the loop idles.
void Engine::Impl::spare_failed_in(const crypto::TransformInfo& group) {
  spare_failed = &group;
  ++stats.spare_key_exchanges_failed;
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

void Engine::spare_key_failed(const crypto::TransformInfo& group) { impl_->spare_failed_in(group); }

} // namespace ikekit::ike
