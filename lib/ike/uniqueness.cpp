// Uniqueness of IKE SAs between two identities: strongSwan's per-connection policy
// (swanctl.conf `unique`, charon's ike_sa_manager check_uniqueness) and RFC 7296 2.4
// INITIAL_CONTACT ("this IKE SA is the only IKE SA currently active between the
// authenticated identities"). Checked once the peer of a new IKE SA is authenticated, by
// the responder (IKE_AUTH request) and by the initiator (IKE_AUTH response), as charon
// does. Duplicates: established (or rekeying) IKE SAs with our identity and the peer's
// authenticated identity, over the same address family.
//
//   policy   INITIAL_CONTACT received     no INITIAL_CONTACT
//   no       duplicates removed           duplicates kept
//   never    duplicates kept (ignored)    duplicates kept
//   keep     duplicates removed           refused if a duplicate of the connection is up
//                                         from another address (same address: a
//                                         reauthentication, both kept)
//   replace  duplicates removed           duplicates of the connection deleted (Delete)
//
// INITIAL_CONTACT removes without a Delete (the peer says it has lost them) and across
// connections; the policy acts only on duplicates of the same connection.
//
// A client that authenticated by EAP is its EAP identity (charon's get_other_eap_id):
// two devices sharing a certificate or IKE identity but with different EAP users are
// different peers, one EAP user behind two IKE identities is one.
#include "exchange/config_payload.hpp"
#include "ike/engine_impl.hpp"

#include <algorithm>

namespace ikekit::ike {

namespace {

bool same_peer(const IkeSa& a, const IkeSa& b) {
  const bool a_eap = peer_is_eap_client(a);
  const bool b_eap = peer_is_eap_client(b);
  if (a_eap || b_eap) return a_eap && b_eap && a.eap_identity() == b.eap_identity();
  return a.remote_id == b.remote_id;
}

bool is_duplicate(const IkeSa& sa, const IkeSa& other) {
  return &other != &sa && !other.silent && other.authenticated &&
         (other.state == IkeSaState::established || other.state == IkeSaState::rekeying) &&
         same_peer(sa, other) && other.peer->local_id == sa.peer->local_id &&
         other.remote.address.family() == sa.remote.address.family();
}

} // namespace

std::optional<Failure> Engine::Impl::check_uniqueness(IkeSa& sa, bool initial_contact) {
  // Its identity is final now: a later IKE SA's check finds it by the index, whatever
  // this one's policy (a later INITIAL_CONTACT removes it even under unique=no).
  table.index_peer_identity(sa);
  const UniquePolicy policy = sa.peer->unique;
  if (policy == UniquePolicy::never || (policy == UniquePolicy::no && !initial_contact))
    return std::nullopt;
  std::vector<IkeSa*> duplicates = table.same_peer_identity(sa);
  std::erase_if(duplicates, [&](const IkeSa* d) { return !is_duplicate(sa, *d); });
  std::sort(duplicates.begin(), duplicates.end(),
            [](const IkeSa* a, const IkeSa* b) { return a->id < b->id; }); // oldest first
  if (initial_contact) {
    for (IkeSa* d : duplicates) {
      d->replaced_by = sa.id;
      sa.replaces.push_back(d->id);
      remove_sa(*d, DownReason::initial_contact);
    }
    return std::nullopt;
  }
  std::erase_if(duplicates, [&](const IkeSa* d) { return d->peer->name != sa.peer->name; });
  if (policy == UniquePolicy::keep) {
    for (const IkeSa* d : duplicates) {
      // charon: a duplicate from the same address (and port) may be the peer
      // reauthenticating (RFC 7296 2.8.3), so only one from elsewhere is refused.
      if (d->remote == sa.remote) continue;
      Failure f = failure(sa, wire::ExchangeType::ike_auth, FailureStep::unique,
                          "unique=keep: IKE SA " + std::to_string(d->id) +
                              " with the same identities is up from " + d->remote.to_string());
      f.offered.push_back(sa.remote_id.to_string());
      f.configured.push_back("unique=keep");
      return f;
    }
    return std::nullopt;
  }
  for (IkeSa* d : duplicates) {
    sa.replaces.push_back(d->id);
    replace_sa(*d, sa.id);
  }
  return std::nullopt;
}

// The old IKE SA's Child SAs leave the data plane at once (the peer has moved to the
// new IKE SA's, or has lost them), and so does the old SA from the events and
// list-sas. Its Delete (RFC 7296 1.4.1: it closes the Child SAs too) then runs silently,
// like that of a rekeyed IKE SA; a peer that lost the SA never answers it and the SA goes
// once the retransmissions are spent.
void Engine::Impl::replace_sa(IkeSa& old, SaId by) {
  for (const ChildSa& c : old.children)
    emit(ChildSaDown{old.id, old.peer_name(), c.name(), c.spi_in, c.spi_out, DownReason::replaced});
  old.children.clear();
  old.replaced_by = by;
  emit(IkeSaDown{old.id, old.peer_name(), old.spi_i, old.spi_r, DownReason::replaced, by});
  config_payload::release_leases(*this, old); // config_payload.cpp: before it goes silent
  old.silent = true;
  old.rekey_at.reset();
  old.dpd_at.reset();
  old.expire_at.reset();
  old.tasks.clear();
  queue_task(old, Task{RequestKind::delete_ike});
}

} // namespace ikekit::ike
