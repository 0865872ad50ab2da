// Connects an IKE engine's Child SAs to a data plane (ike-up --dataplane): every
// child_sa_up installs the SA pair (keys from the engine's SaKeys event, which only the
// data plane and a --keylog ever see), a rekey installs the new pair before the old one
// goes (TunDataplane keeps the old inbound SA until it is removed), child_sa_down
// removes it. A Child SA the data plane refuses is deleted. Each spec carries its IKE
// SA (Child SAs of different IKE SAs never overlap) and, for a rekey, the SA it
// replaces. The TUN data plane shares the runner's NAT-T sockets with IKE (each pair
// sends from the one of its local address, and follows its IKE SA's moves); the XFRM
// data plane marks that socket UDP_ENCAP_ESPINUDP so the kernel takes the ESP and IKE
// (behind the non-ESP marker) still reaches the runner, and exempts the runner's
// sockets from its policies, as strongSwan does. An outbound SA of the TUN data plane
// that nears the end of its sequence space (RFC 4303 3.3.3) is rekeyed: the data
// plane's eventfd wakes the runner's loop, which calls Engine::rekey_child once per SA.
// A Child SA of an IKE SA over TCP (RFC 9329) carries its ESP in that connection (TUN
// data plane only): installed with the connection's StreamWriter, moved with the IKE SA
// to a new connection, and ESP read from any stream is opened here.
// ESP from a new source (RFC 7296 2.23) reaches the engine the same way from either data
// plane (follow_esp_sources): the TUN data plane's authenticated ESP, or the kernel's
// XFRM_MSG_MAPPING reports (io/xfrm_mapping.hpp) for the XFRM data plane. The engine
// decides; its ike_sa_moved then moves the Child SAs, and ike_sa_encap_changed
// re-installs them with the encapsulation NAT detection found on the same path.
// A TUN data plane that stops on an error (its device deleted, a read or send that
// failed: TunDataplane::failure_fd) is noticed in the runner's loop: its threads are
// joined and the owner is told once (on_failure); ike-up then deletes its SAs and exits.
#pragma once

#include "ike/events.hpp"
#include "io/dataplane/tun_dataplane.hpp"
#include "io/dataplane/xfrm_dataplane.hpp"
#include "io/ike_runner.hpp"
#include "io/xfrm_mapping.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace ikekit::io {

enum class DataplaneKind { none, tun, xfrm };

// "auto" picks xfrm when the kernel accepts an ESP state (probe), else tun.
// Errors: Errc::usage for an unknown name.
Result<DataplaneKind> choose_dataplane(std::string_view name);
std::string_view dataplane_kind_name(DataplaneKind k);

// ike-up's knobs of the TUN data plane (TunDataplaneOptions::offload and busy_poll).
struct TunTuning {
  bool offload = true;
  std::chrono::microseconds busy_poll = dataplane::kDefaultBusyPoll;
};

class EngineDataplane {
public:
  // Creates the data plane for `runner` (the address family of its first local address)
  // and hooks ESP from the runner's NAT-T sockets into it. Errc::environment when TUN or XFRM ESP
  // is missing. It registers a reader on runner.loop() (the rekey eventfd), which closes with the
  // data plane, so either may be destroyed first.
  // `tuning`: the TUN data plane's offloads and busy polling.
  static Result<std::unique_ptr<EngineDataplane>> create(DataplaneKind kind, IkeRunner& runner,
                                                         const std::string& tun_name,
                                                         const TunTuning& tuning = {});
  // For tests: the XFRM data plane `xfrm` (over a stand-in kernel) for `runner`, without
  // the kernel probe, the socket marks and the XFRM_MSG_MAPPING subscription.
  static std::unique_ptr<EngineDataplane> over_xfrm(IkeRunner& runner,
                                                    dataplane::XfrmDataplane xfrm);
  ~EngineDataplane();

  // Feed every engine event; Child SA events change the data plane. Errors (a key the
  // data plane refused, selectors that overlap another IKE SA's Child SA) come back
  // for the caller to report, and the refused Child SA is deleted (INFORMATIONAL with
  // D); the IKE SA goes on.
  Result<void> on_event(const ike::Event& e);
  std::string device() const;
  // The TUN data plane stopped on an error (TunDataplane::failure_fd): `fn` runs once, on
  // the runner's loop, with the data plane's error, after its threads are joined (Child
  // SA changes from then on apply on the caller's thread, without error). No traffic
  // flows any more; what becomes of the SAs is the owner's call.
  using FailureFn = std::function<void(const Error& e, TimePoint now)>;
  void on_failure(FailureFn fn) { on_failure_ = std::move(fn); }
  // The error the data plane stopped on, once it did.
  const std::optional<Error>& failure() const { return failure_; }
  std::optional<dataplane::DataplaneStats> stats();
  // Per Child SA (by inbound SPI); nullopt without a data plane or for an SA it does
  // not hold (not installed yet, or refused).
  std::optional<dataplane::ChildSaCounters> child_sa_counters(uint32_t spi_in);
  // The kernel's NAT mapping reports in one netlink datagram (what the subscription
  // reads): each usable one goes to the engine as ESP of its Child SA from the new
  // source, the rest is counted; then the runner sends and delivers (pump).
  void on_xfrm_mappings(ByteView datagram, TimePoint now);
  // nullopt unless the XFRM data plane runs.
  std::optional<XfrmMappingStats> xfrm_mapping_stats() const;

private:
  EngineDataplane() = default;
  Result<void> install(const ike::ChildSaUp& up);
  Result<void> refuse(ike::SaId sa, uint32_t spi_in, Error e);
  Result<void> add_routes(const dataplane::ChildSaSpec& spec,
                          const std::vector<IpAddress>& virtual_ips);
  // Pins the runner's sockets on `local` to the device holding it (once).
  Result<void> pin_sockets(const IpAddress& local);
  void on_rekey_requests(IkeRunner& runner, TimePoint now);
  void on_tun_failure(TimePoint now); // failure_fd readable
  // RFC 7296 2.23: the IKE SA followed the peer's new NAT mapping; RFC 4555 3.5: it
  // moved to our new address (ESP then leaves from the NAT-T socket there). Its Child
  // SAs follow.
  Result<void> move_peer(const ike::IkeSaMoved& m);
  Result<void> move_xfrm(const ike::IkeSaMoved& m);
  // RFC 9329: ESP to and from the runner's TCP streams (TUN data plane).
  void hook_streams(TcpStreams& tcp);
  // Hands authenticated ESP from new sources (TunDataplane::take_peer_changes, the
  // kernel's XFRM_MSG_MAPPING) to the engine, which decides whether the IKE SA follows.
  // Returns how many named no installed Child SA (ignored).
  size_t follow_esp_sources(std::span<const esp::PeerChange> changes, TimePoint now);
  void follow_xfrm_mappings(std::span<const XfrmMapping> mappings, TimePoint now);
  // Subscribes to XFRMNLGRP_MAPPING and reads it in the runner's loop.
  Result<void> watch_xfrm_mappings();
  // The latest ESP sent on any Child SA of `sa` (wall ns), for the runner's keepalives.
  std::optional<int64_t> last_esp_sent_ns(ike::SaId sa) const;

  DataplaneKind kind_ = DataplaneKind::none;
  IkeRunner* runner_ = nullptr; // outlives the data plane's use of it (see create)
  std::unique_ptr<dataplane::TunDataplane> tun_;
  std::optional<dataplane::XfrmDataplane> xfrm_;
  std::optional<XfrmMappingWatch> mappings_; // XFRM: the kernel's NAT mapping reports
  XfrmMappingStats mapping_stats_;
  std::vector<XfrmMapping> mapping_batch_;    // one read's reports (capacity kept)
  std::vector<esp::PeerChange> xfrm_changes_; // the same as the engine takes them
  std::map<uint32_t, ike::SaId> installed_;   // by spi_in: the IKE SA, for rekey_child
  std::set<std::string> pinned_;              // local addresses whose sockets are pinned
  std::set<uint32_t> streamed_;               // spi_in of Child SAs whose ESP is in a TCP stream
  FailureFn on_failure_;
  std::optional<Error> failure_;
};

} // namespace ikekit::io
