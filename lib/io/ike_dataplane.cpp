#include "io/ike_dataplane.hpp"

#include "io/netlink_route.hpp"
#include "io/outer_device.hpp"
#include "io/xfrm.hpp"

#include <net/if.h>

namespace ikekit::io {

namespace {

using dataplane::ChildSaSpec;

// An IKE traffic selector (RFC 7296 3.13.1) as the data plane's selectors: its address
// range split into prefixes, each with the selector's protocol and ports.
void add_selectors(const ike::TsSpec& ts, std::vector<esp::TrafficSelector>& out) {
  for (const Prefix& p : esp::range_to_prefixes(ts.start, ts.end))
    out.push_back(esp::TrafficSelector{p, ts.ip_protocol, ts.start_port, ts.end_port});
}

Result<dataplane::SaKeys> sa_keys(uint32_t spi, const std::string& encr, const std::string& integ,
                                  bool esn, const SecretBytes& ekey, const SecretBytes& ikey,
                                  const char* field) {
  dataplane::SaKeys k;
  k.spi = spi;
  k.encr = crypto::find_keyword(crypto::TransformKind::encr, encr);
  if (!k.encr)
    return make_error(Errc::unsupported, field,
                      "encryption " + encr + " has no data-plane support");
  if (!integ.empty()) {
    k.integ = crypto::find_keyword(crypto::TransformKind::integ, integ);
    if (!k.integ)
      return make_error(Errc::unsupported, field,
                        "integrity " + integ + " has no data-plane support");
  }
  k.encr_key = ekey;
  k.integ_key = ikey;
  k.esn = esn;
  return k;
}

Result<ChildSaSpec> make_spec(const ike::ChildSaUp& up) {
  ChildSaSpec s;
  auto in = sa_keys(up.spi_in, up.encr, up.integ, up.esn, up.encr_in, up.integ_in, "in");
  if (!in) return in.error();
  auto out = sa_keys(up.spi_out, up.encr, up.integ, up.esn, up.encr_out, up.integ_out, "out");
  if (!out) return out.error();
  s.in = std::move(*in);
  s.out = std::move(*out);
  s.local = up.local.address;
  s.remote = up.remote.address;
  s.mode = up.mode == ike::ChildMode::tunnel ? dataplane::EspMode::tunnel
                                             : dataplane::EspMode::transport;
  s.udp_encap = up.udp_encap;
  s.local_port = up.local.port;
  s.remote_port = up.remote.port;
  for (const auto& t : up.local_ts)
    add_selectors(t, s.local_ts);
  for (const auto& t : up.remote_ts)
    add_selectors(t, s.remote_ts);
  s.ike_sa = up.sa;
  s.replaces_spi_in = up.rekeyed_spi_in;
  return s;
}

} // namespace

Result<DataplaneKind> choose_dataplane(std::string_view name) {
  if (name == "none") return DataplaneKind::none;
  if (name == "tun") return DataplaneKind::tun;
  if (name == "xfrm") return DataplaneKind::xfrm;
  if (name == "auto") return probe_xfrm_esp() ? DataplaneKind::xfrm : DataplaneKind::tun;
  return make_error(Errc::usage, "--dataplane",
                    "\"" + std::string(name) + "\": expected auto, none, tun or xfrm");
}

std::string_view dataplane_kind_name(DataplaneKind k) {
  switch (k) {
  case DataplaneKind::none:
    return "none";
  case DataplaneKind::tun:
    return "tun";
  case DataplaneKind::xfrm:
    return "xfrm";
  }
  return "none";
}

EngineDataplane::~EngineDataplane() {
  if (tun_) tun_->stop();
}

Result<std::unique_ptr<EngineDataplane>> EngineDataplane::create(DataplaneKind kind,
                                                                 IkeRunner& runner,
                                                                 const std::string& tun_name,
                                                                 const TunTuning& tuning) {
  std::unique_ptr<EngineDataplane> d(new EngineDataplane());
  d->kind_ = kind;
  d->runner_ = &runner;
  if (kind == DataplaneKind::none) return d;
  const auto& peers = runner.engine().config().peers;
  if (peers.empty()) return make_error(Errc::usage, "connections", "no connection configured");
  IpAddress local = peers.front().local.address;
  UdpSocket* natt = runner.nat_t_socket(local);
  if (kind == DataplaneKind::xfrm) {
    // A kernel without ESP fails here, naming CONFIG_INET_ESP (exit 3), before any
    // socket is changed.
    if (auto p = probe_xfrm_esp(); !p) return p.error();
    // IKE must never be caught by our own policies (selectors covering the endpoints).
    for (UdpSocket* s : runner.sockets())
      if (auto b = dataplane::bypass_socket_policy(s->fd(), !s->local().address.is_v4()); !b)
        return b.error();
    // The runner holds local:4500: mark that socket rather than binding a second one
    // (EADDRINUSE). ESP on it then goes to the kernel, IKE still to the runner.
    auto x = dataplane::XfrmDataplane::open({.local = local,
                                             .udp_encap = true,
                                             .port = natt->local().port,
                                             .own_encap_socket = false,
                                             .shared_encap_fd = natt->fd()});
    if (!x) return x.error();
    d->xfrm_.emplace(std::move(*x));
    if (auto w = d->watch_xfrm_mappings(); !w) return w.error();
    return d;
  }
  dataplane::TunDataplaneOptions o;
  o.tun.name = tun_name;
  o.local = local;
  o.udp_encap = true;
  o.port = natt->local().port;
  // The first connection's socket is only the default: each pair sends from the NAT-T
  // socket of its own local address (install), of either family.
  o.shared_udp_fd = natt->fd();
  o.plain_esp = true; // no NAT: plain ESP (RFC 3948 only where a NAT was detected), both families
  o.offload = tuning.offload;
  o.busy_poll = tuning.busy_poll;
  auto tun = dataplane::TunDataplane::create(o);
  if (!tun) return tun.error();
  if (auto s = (*tun)->start(); !s) return s.error();
  d->tun_ = std::move(*tun);
  dataplane::TunDataplane* dp = d->tun_.get();
  EngineDataplane* self = d.get();
  runner.set_esp_handler([self, dp](std::span<RecvSlot> slots, TimePoint now) {
    dp->handle_esp(slots, IkeRunner::kRecvHeadroom);
    (void)self->follow_esp_sources(dp->take_peer_changes(), now);
  });
  // The reader is dropped from epoll when the eventfd closes (the data plane goes);
  // while it exists it runs only inside runner.run(), so both pointers are alive.
  runner.set_esp_sent_probe([self](ike::SaId sa) { return self->last_esp_sent_ns(sa); });
  IkeRunner* r = &runner;
  auto on_rekey = [self, r](TimePoint now) { self->on_rekey_requests(*r, now); };
  if (auto a = runner.loop().add_reader(dp->rekey_fd(), on_rekey); !a) return a.error();
  auto on_failed = [self](TimePoint now) { self->on_tun_failure(now); };
  if (auto a = runner.loop().add_reader(dp->failure_fd(), on_failed); !a) return a.error();
  // Plain ESP (no NAT) of either family: connections may listen on IPv4 and IPv6
  // addresses, and MOBIKE may move an IKE SA from one family to the other.
  for (IpAddress::Family f : {IpAddress::Family::v4, IpAddress::Family::v6})
    if (int fd = dp->plain_fd(f); fd >= 0)
      if (auto a = runner.loop().add_reader(fd, [dp, f](TimePoint) { dp->receive_plain(f); }); !a)
        return a.error();
  if (TcpStreams* tcp = runner.tcp()) self->hook_streams(*tcp);
  return d;
}

std::unique_ptr<EngineDataplane> EngineDataplane::over_xfrm(IkeRunner& runner,
                                                            dataplane::XfrmDataplane xfrm) {
  std::unique_ptr<EngineDataplane> d(new EngineDataplane());
  d->kind_ = DataplaneKind::xfrm;
  d->runner_ = &runner;
  d->xfrm_.emplace(std::move(xfrm));
  return d;
}

// RFC 3948, RFC 7296 2.23: the kernel reports ESP from a new source on a state with
// encapsulation (XFRM_MSG_MAPPING), as strongSwan's kernel-netlink subscribes to it.
// The reader goes from epoll when the watch's socket closes with the data plane.
Result<void> EngineDataplane::watch_xfrm_mappings() {
  auto w = XfrmMappingWatch::open();
  if (!w) return w.error();
  mappings_.emplace(std::move(*w));
  auto added = runner_->loop().add_reader(mappings_->fd(), [this](TimePoint now) {
    mapping_batch_.clear();
    auto r = mappings_->read(mapping_batch_, mapping_stats_);
    follow_xfrm_mappings(mapping_batch_, now); // what came before a failure too
    if (!r) { // the socket broke: stop reading rather than spin on it (counted)
      ++mapping_stats_.read_failed;
      (void)runner_->loop().remove(mappings_->fd());
    }
  });
  if (!added) return added.error();
  return {};
}

void EngineDataplane::on_xfrm_mappings(ByteView datagram, TimePoint now) {
  mapping_batch_.clear();
  parse_xfrm_mappings(datagram, mapping_batch_, mapping_stats_);
  follow_xfrm_mappings(mapping_batch_, now);
}

void EngineDataplane::follow_xfrm_mappings(std::span<const XfrmMapping> mappings, TimePoint now) {
  if (mappings.empty()) return;
  xfrm_changes_.clear();
  for (const XfrmMapping& m : mappings) // id.spi names our inbound state: spi_in
    xfrm_changes_.push_back(esp::PeerChange{m.spi, m.new_source});
  mapping_stats_.unknown_spi += follow_esp_sources(xfrm_changes_, now);
  runner_->pump(now);
}

std::optional<XfrmMappingStats> EngineDataplane::xfrm_mapping_stats() const {
  if (!xfrm_) return std::nullopt;
  return mapping_stats_;
}

// RFC 9329 3.2: ESP of a Child SA whose IKE SA runs over TCP goes in that connection
// (from the sending thread, through its StreamWriter) and comes from it (here, on the
// loop's thread, like the NAT-T socket's ESP); when the IKE SA moves to a new
// connection (a reconnect), its Child SAs follow.
void EngineDataplane::hook_streams(TcpStreams& tcp) {
  dataplane::TunDataplane* dp = tun_.get();
  tcp.set_esp_handler([dp](ByteView esp, TimePoint) { return dp->receive_stream_esp(esp); },
                      [dp] { dp->end_stream_batch(); });
  tcp.set_writer_hook([this](ike::SaId sa, const std::shared_ptr<StreamWriter>& out) {
    for (const auto& [spi_in, owner] : installed_)
      if (owner == sa && streamed_.count(spi_in)) (void)tun_->set_stream(spi_in, out);
  });
}

// RFC 4303 3.3.3 / RFC 7296 2.8: an outbound SA past its soft sequence limit is
// rekeyed before it runs out. A request for an SA that is gone or already being
// rekeyed is dropped: the engine refuses it (not established, not found) or skips it.
void EngineDataplane::on_rekey_requests(IkeRunner& runner, TimePoint now) {
  if (!tun_) return;
  bool any = false;
  for (uint32_t spi_in : tun_->take_rekey_requests()) {
    auto it = installed_.find(spi_in);
    if (it == installed_.end()) continue;
    runner.with_engine_of(it->second,
                          [&](ike::Engine& e) { (void)e.rekey_child(it->second, spi_in, now); });
    any = true;
  }
  if (any) runner.pump(now);
}

// A thread of the TUN data plane stopped on an error and stopped the other (the device
// was deleted: its reads fail with EBADFD; a send or write failed). failure_fd stays
// readable, so its reader goes. stop() joins the threads: a Child SA removed from now on
// (the SAs' deletion) is applied here instead of waiting for a thread that is gone.
void EngineDataplane::on_tun_failure(TimePoint now) {
  (void)runner_->loop().remove(tun_->failure_fd());
  if (failure_) return;
  auto f = tun_->failure();
  tun_->stop();
  failure_ = f ? *f : make_error(Errc::io, "dataplane", "the TUN data plane stopped");
  if (on_failure_) on_failure_(*failure_, now);
}

std::string EngineDataplane::device() const { return tun_ ? tun_->device() : std::string(); }

std::optional<dataplane::DataplaneStats> EngineDataplane::stats() {
  if (tun_) return tun_->stats();
  if (xfrm_) {
    auto s = xfrm_->stats();
    if (s) return *s;
  }
  return std::nullopt;
}

std::optional<dataplane::ChildSaCounters> EngineDataplane::child_sa_counters(uint32_t spi_in) {
  if (tun_) return tun_->child_sa_counters(spi_in);
  if (xfrm_) {
    auto c = xfrm_->child_sa_counters(spi_in);
    if (c) return *c;
  }
  return std::nullopt;
}

// The remote selectors are routed into the TUN device (the kernel then hands us what
// must be sealed); the device takes its routes with it when it goes. In transport mode
// what we send on them comes from our outer address (RTA_PREFSRC: the selectors are
// the outer addresses). A route that covers the peer's outer address (transport
// mode always) must not catch our own IKE and ESP: the runner's sockets are pinned to
// their device first (io/outer_device.hpp). A virtual IP the responder assigned us
// (RFC 7296 2.19) goes on the device and is the routes' preferred source, so what we
// send into the tunnel leaves from it (our TSi was narrowed to it).
Result<void> EngineDataplane::add_routes(const ChildSaSpec& spec,
                                         const std::vector<IpAddress>& virtual_ips) {
  if (!tun_) return {};
  int ifindex = int(if_nametoindex(tun_->device().c_str()));
  auto nl = RouteNetlink::open();
  if (!nl) return nl.error();
  for (const auto& vip : virtual_ips) {
    auto a = nl->add_address(ifindex, Prefix::host(vip));
    if (!a && a.error().code != Errc::io) return a; // io: already there (a rekey)
  }
  for (const auto& t : spec.remote_ts)
    if (t.addr.contains(spec.remote))
      if (auto p = pin_sockets(spec.local); !p) return p;
  for (const auto& t : spec.remote_ts) {
    RouteSpec route{.dst = t.addr, .ifindex = ifindex};
    if (spec.mode == dataplane::EspMode::transport) route.src = spec.local;
    for (const auto& vip : virtual_ips)
      if (vip.family() == t.addr.addr.family()) route.src = vip;
    auto r = nl->add_route(route);
    if (!r && r.error().code != Errc::io) return r; // io: the route exists (another SA)
  }
  return {};
}

Result<void> EngineDataplane::pin_sockets(const IpAddress& local) {
  if (pinned_.count(local.to_string())) return {};
  auto dev = device_holding(local);
  if (!dev) return dev.error();
  for (UdpSocket* s : runner_->sockets())
    if (s->local().address == local)
      if (auto b = bind_to_device(s->fd(), *dev); !b) return b;
  // Plain ESP too (one socket per family for every local address of it: pinned to the
  // first's device).
  if (tun_ && tun_->plain_fd(local.family()) >= 0)
    if (auto b = bind_to_device(tun_->plain_fd(local.family()), *dev); !b) return b;
  pinned_.insert(local.to_string());
  return {};
}

Result<void> EngineDataplane::install(const ike::ChildSaUp& up) {
  auto spec = make_spec(up);
  ike::SaId sa = up.sa;
  uint32_t spi_in = up.spi_in;
  if (!spec) return refuse(sa, spi_in, spec.error());
  std::shared_ptr<StreamWriter> stream;
  if (up.stream) {
    // The IKE SA went over TCP because UDP does not pass: ESP goes in its stream too.
    if (!tun_)
      return refuse(sa, spi_in,
                    make_error(Errc::unsupported, "dataplane",
                               "xfrm: ESP in a TCP stream (RFC 9329) needs --dataplane tun"));
    if (runner_->tcp()) stream = runner_->tcp()->writer_of(sa);
    if (!stream)
      return refuse(sa, spi_in,
                    make_error(Errc::not_found, "dataplane",
                               "IKE SA " + std::to_string(sa) + " has no TCP connection"));
  }
  if (tun_) {
    // ESP in UDP leaves from the NAT-T socket of the pair's own local address (a
    // connection on another address than the first has its own).
    UdpSocket* natt = runner_->nat_t_socket(spec->local);
    if (auto r = tun_->install_child_sa(*spec, stream, natt ? natt->fd() : -1); !r)
      return refuse(sa, spi_in, r.error());
    installed_[spi_in] = sa;
    if (stream) streamed_.insert(spi_in);
    return add_routes(*spec, up.virtual_ips);
  }
  if (xfrm_) {
    if (auto r = xfrm_->install_child_sa(*spec); !r) return refuse(sa, spi_in, r.error());
    installed_[spi_in] = sa; // the kernel's mapping reports name it by spi_in
  }
  return {};
}

// A Child SA the data plane refused (its selectors overlap another IKE SA's, a key it
// cannot use) carries nothing: delete it (RFC 7296 1.4.1) so the peer does not send
// into it. The runner sends the Delete when it drains the engine after this event.
Result<void> EngineDataplane::refuse(ike::SaId sa, uint32_t spi_in, Error e) {
  if (runner_)
    runner_->with_engine_of(
        sa, [&](ike::Engine& en) { (void)en.terminate_child(sa, spi_in, EventLoop::now()); });
  return e;
}

// The TUN data plane's outbound SAs change their peer between two batches; the XFRM
// data plane moves the kernel's states and policies (move_xfrm).
// Our own address changed (MOBIKE, RFC 4555 3.5: the runner bound the new address
// before the engine moved): the IKE SA's Child SAs send from the NAT-T socket there;
// those of other IKE SAs keep theirs. The runner keeps its sockets bound (the address
// may come back) and the data plane holds its own descriptor of each socket it sends
// from, so no pair ever sends on a closed one.
Result<void> EngineDataplane::move_peer(const ike::IkeSaMoved& m) {
  // RFC 9329 7.1: ESP in a TCP stream follows the connection (set_stream when the IKE SA
  // sends on a new one), not an address: nothing to move here.
  for (const auto& [spi_in, sa] : installed_)
    if (sa == m.sa && streamed_.count(spi_in)) return {};
  if (xfrm_) return move_xfrm(m);
  if (!tun_) return {};
  dataplane::TunDataplane::PairPath to{m.local.address, m.remote.address, m.remote.port,
                                       m.udp_encap};
  if (!(m.local.address == m.old_local.address)) {
    UdpSocket* natt = runner_->nat_t_socket(m.local.address);
    if (!natt)
      return make_error(Errc::not_found, "local",
                        "no NAT-T socket on " + m.local.address.to_string() + " for ESP");
    to.udp_fd = natt->fd();
  }
  std::vector<uint32_t> spis; // one change for all of them: none is sealed for the old path
  for (const auto& [spi_in, sa] : installed_)
    if (sa == m.sa && !streamed_.count(spi_in)) spis.push_back(spi_in);
  return tun_->move_pairs(spis, to);
}

// The kernel decapsulates ESP only on a socket marked UDP_ENCAP (RFC 3948): after our
// own address changed, the runner's NAT-T socket there is marked and exempted from
// the policies like the first one; then the states and policies follow the IKE SA.
Result<void> EngineDataplane::move_xfrm(const ike::IkeSaMoved& m) {
  if (!(m.local.address == m.old_local.address)) {
    UdpSocket* natt = runner_->nat_t_socket(m.local.address);
    if (!natt)
      return make_error(Errc::not_found, "local",
                        "no NAT-T socket on " + m.local.address.to_string() + " for ESP");
    if (auto b = dataplane::bypass_socket_policy(natt->fd(), !m.local.address.is_v4()); !b)
      return b;
    if (auto e = dataplane::set_udp_encap(natt->fd()); !e) return e;
  }
  auto r = xfrm_->move_ike_sa(
      m.sa, {m.local.address, m.remote.address, m.local.port, m.remote.port, m.udp_encap});
  if (!r && r.error().code == Errc::not_found) return {}; // no Child SA yet
  if (!r) {
    Error e = r.error();
    e.message = "xfrm: the Child SAs of IKE SA " + std::to_string(m.sa) + " moving to " +
                m.local.to_string() + " -> " + m.remote.to_string() + ": " + e.message;
    return e;
  }
  return {};
}

// RFC 3948 / RFC 7296 2.23: authenticated ESP from a new source is the engine's to
// judge (it follows only where an IKE message would move the SA); its ike_sa_moved then
// moves the pair (move_peer). The runner sends and delivers after the ESP handler.
size_t EngineDataplane::follow_esp_sources(std::span<const esp::PeerChange> changes,
                                           TimePoint now) {
  size_t unknown = 0;
  for (const esp::PeerChange& c : changes) {
    auto it = installed_.find(c.spi);
    if (it == installed_.end()) {
      ++unknown;
      continue;
    }
    runner_->with_engine_of(it->second,
                            [&](ike::Engine& e) { e.esp_arrived_from(it->second, c.source, now); });
  }
  return unknown;
}

std::optional<int64_t> EngineDataplane::last_esp_sent_ns(ike::SaId sa) const {
  if (!tun_) return std::nullopt;
  std::optional<int64_t> latest;
  for (const auto& [spi_in, owner] : installed_)
    if (owner == sa)
      if (auto t = tun_->last_sent_ns(spi_in); t && (!latest || *t > *latest)) latest = t;
  return latest;
}

Result<void> EngineDataplane::on_event(const ike::Event& e) {
  if (kind_ == DataplaneKind::none) return {};
  if (const auto* up = std::get_if<ike::ChildSaUp>(&e)) return install(*up);
  if (const auto* moved = std::get_if<ike::IkeSaMoved>(&e)) return move_peer(*moved);
  if (const auto* c = std::get_if<ike::IkeSaEncapChanged>(&e)) {
    // RFC 4555 3.5: the same path with the encapsulation NAT detection found there: the
    // Child SAs move onto it as they do for a move (TUN: plain or UDP socket; XFRM:
    // states re-added with or without XFRMA_ENCAP). Only nat_local or nat_remote
    // changed (ESP in UDP before and after): nothing to re-install.
    if ((c->old_encap != ike::Encap::none) == c->udp_encap) return {};
    ike::IkeSaMoved same{
        c->sa,       c->peer, c->local, c->remote, c->local, c->remote, ike::MoveReason::mobike,
        c->udp_encap};
    return move_peer(same);
  }
  if (const auto* down = std::get_if<ike::ChildSaDown>(&e)) {
    installed_.erase(down->spi_in);
    streamed_.erase(down->spi_in);
    Result<void> r =
        tun_ ? tun_->remove_child_sa(down->spi_in) : xfrm_->remove_child_sa(down->spi_in);
    if (!r && r.error().code != Errc::not_found) return r;
  }
  return {};
}

} // namespace ikekit::io
