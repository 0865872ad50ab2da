// The user-space ESP data plane over a TUN device (RFC 4303 / RFC 3948). The ESP
// pipeline is sans-I/O (esp/outbound_pipeline.hpp, esp/inbound_pipeline.hpp: SA
// selection by traffic selector, sequence numbers, transport/tunnel handling, replay,
// the inbound selector check, rekey requests); this class keeps the device, the sockets
// and the threads:
//
//   TUN --read (TSO super-packet, cut into segments)--> OutboundPipeline --UDP GSO-->
//   TUN <--writev (GRO: one super-packet per flow)---- InboundPipeline <--UDP GRO---
//
// Offloads (TunDataplaneOptions::offload, on by default): the TUN device runs with
// IFF_VNET_HDR and TSO4/TSO6 + checksum offload, so the kernel hands over TCP
// super-packets of up to 64 KiB, cut here into segments straight into ESP payloads;
// received segments of one TCP flow are coalesced into one super-packet per TUN write;
// ESP goes out as UDP GSO messages (one sendmsg per run of one SA) and comes in with
// UDP GRO. Without offloads: one TUN read/write per packet, sendmmsg/recvmmsg.
//
// Two threads, one per direction, each owning its pipeline, so the packet path
// allocates nothing and takes one uncontended lock per batch (the direction's `busy`).
// A thread reads until the device or socket has nothing more, then sleeps in poll() on
// it and its wake-up eventfd (no timeout): a change of SAs or stop() writes the
// eventfd. For latency (tun_worker.cpp), the thread that delivered a packet to the
// device also sends the answer the kernel queued during that write, when the sending
// thread is not at work; after moving packets a thread polls both directions for
// `busy_poll` before it sleeps; and while traffic is sparse the sending thread alone
// sleeps on both the device and the socket, so a request and its answer stay on one
// thread (bulk traffic hands the socket back). Counters are published per batch
// (StatsCell) and read from any thread with stats().
//
// Child SAs come and go from a control thread (esp-tunnel's main, ike-up's event
// loop) with install_child_sa / remove_child_sa; the change is handed to the owning
// thread and applied between two batches. Rekeying (RFC 7296 2.8): install the new
// pair naming the old one (ChildSaSpec::replaces_spi_in; its inbound SA is in place
// before its outbound SA takes over the old one's selectors), then
// remove_child_sa(old spi_in) once the peer has moved over.
//
// Traffic selectors (RFC 4301 5.1, 5.2; esp/selector_table.hpp): an outbound packet
// goes out on the SA whose selectors take it, else it is dropped (no_sa); a decrypted
// packet outside its SA's selectors is dropped by reason (selector_src/dst/protocol/
// port). A pair whose selectors overlap those of another IKE SA's pair is refused
// (sa_refused).
//
// Sequence-number exhaustion (RFC 4303 3.3.3, RFC 7296 2.8): past its soft limit
// (ChildSaSpec::soft_limit_seq) the inbound SPI of the pair is queued once and
// rekey_fd() (an eventfd) becomes readable; take_rekey_requests() collects them.
//
// ESP in a TCP stream (RFC 9329 3.2; tun_stream.cpp): a pair installed with a
// StreamWriter sends its ESP there as frames (2-byte length, no marker), the batch's
// frames appended under one lock and written with one send(2); a full stream drops
// (send_dropped, and the writer's esp_full). set_stream() moves it to another
// connection. ESP read from a stream comes in through receive_stream_esp() (copied into
// the receive buffers, opened and delivered as one batch at end_stream_batch()).
//
// Sharing ike-up's port-4500 sockets: set TunDataplaneOptions::shared_udp_fd; the data
// plane then sends on ike-up's sockets but does not read them; the owner's event loop
// reads every one of them (one per local address) and passes each datagram UdpSocket
// classified as ESP to handle_esp() — from the same thread that calls install/remove
// (in this mode inbound changes apply immediately). Each pair sends from the socket of
// its own local address (install_child_sa's udp_fd, moved by move_pairs), so IKE SAs on
// different local addresses (a multi-homed host, one IKE SA moved by MOBIKE while
// another stays) each keep their source; the sending thread splits a batch by socket
// (one sendmmsg or UDP GSO run per socket). The data plane holds its own descriptor of
// each socket it sends on (dup(2), lib/io/dataplane/socket_refs.hpp), so the owner may
// close its descriptor at any time: the socket stays open until no pair sends from it.
// ESP without a NAT (plain_esp) goes over IP through a raw socket of the pair's address
// family: the data plane opens one per family (IPv4 and IPv6), so ike-up's connections
// may listen on addresses of both families and MOBIKE may move an IKE SA from one family
// to the other (io/dataplane/esp_path.hpp decides which socket a pair uses, or that it
// has none of its family).
#pragma once

#include "base/result.hpp"
#include "esp/selector_table.hpp"
#include "io/dataplane/child_sa.hpp"
#include "io/dataplane/esp_path.hpp"
#include "io/dataplane/esp_socket.hpp"
#include "io/dataplane/stats.hpp"
#include "io/stream_writer.hpp"
#include "io/tun_device.hpp"
#include "io/udp_socket.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace ikekit::io::dataplane {

class SocketRefs;
class TunPacing;

// Covers the far end's wake-up of its receiving thread and its work on the packet
// (perf sched on the 2-vCPU test VM: 10-160 us from wake-up to running, 40-100 us of
// work per hop), so the answer to an echo through a tunnel between two neighbours
// arrives within it.
inline constexpr std::chrono::microseconds kDefaultBusyPoll{200};

struct TunDataplaneOptions {
  TunOptions tun;         // device name ("" lets the kernel pick)
  TunConfig tun_config;   // addresses and routes; mtu defaults to kDefaultMtu
  IpAddress local;        // outer address ESP is sent from
  bool udp_encap = true;  // RFC 3948 UDP 4500, or raw IP protocol 50
  uint16_t port = 4500;   // local UDP port with udp_encap
  int shared_udp_fd = -1; // >= 0: pairs send on this socket unless installed with another;
                          // receive through handle_esp()
  // With shared_udp_fd: Child SAs without UDP encapsulation (no NAT, RFC 3948 not
  // needed) send and receive plain ESP (IP protocol 50) on raw sockets of the data
  // plane's own, one per address family, unbound (each packet names its source), read
  // by the owner's loop (plain_fd(family), receive_plain(family)). The socket of
  // `local`'s family must open; the other family's is opened where the kernel has it.
  bool plain_esp = false;
  // TUN TSO/checksum offload with user-space segmentation and coalescing, UDP GSO on
  // send and UDP GRO on receive (UDP only). Off: one packet per read, write and datagram.
  bool offload = true;
  // After moving packets, a thread keeps polling both directions this long before it
  // sleeps (tun_worker.cpp), so an answer arriving within it needs no wake-up; it also
  // scales what counts as sparse traffic (io/dataplane/tun_pacing.hpp), served by one
  // thread. Zero turns both off. Without traffic nothing polls.
  std::chrono::microseconds busy_poll = kDefaultBusyPoll;
};

inline constexpr uint32_t kDefaultMtu = 1400;
inline constexpr int kTunTxQueueLen = 4096; // packets the kernel may queue for the TUN reader
// Room before a packet read from TUN: ESP header + the largest IV (AES-CBC, 16), and
// in front of it the UDP and IP headers a GSO send never needs but a raw socket might.
inline constexpr size_t kTxHeadroom = 64;
// Room after it: worst-case padding (CBC: 15) + Pad Length + Next Header + ICV (<= 32),
// rounded up generously.
inline constexpr size_t kTxTailroom = 320;
// Room before a received datagram, so transport mode can write the IP header in front
// of the opened payload without moving it (RFC 4303 3.1.1).
inline constexpr size_t kRxHeadroom = 64;
// Outer overhead an MTU has to leave for: IPv6 header + UDP + ESP header + CBC IV +
// padding + trailer + ICV.
inline constexpr size_t kMaxOuterOverhead = 40 + 8 + 8 + 16 + 15 + 2 + 32;

class TunDataplane {
public:
  // Opens and configures the TUN device and (unless shared) the ESP socket.
  // Environment errors: no /dev/net/tun, no CAP_NET_ADMIN, port 4500 taken.
  static Result<std::unique_ptr<TunDataplane>> create(const TunDataplaneOptions& options);
  ~TunDataplane(); // stops the threads; the TUN device disappears with its fd

  TunDataplane(const TunDataplane&) = delete;
  TunDataplane& operator=(const TunDataplane&) = delete;

  const std::string& device() const { return tun_->name(); }
  uint32_t mtu() const { return mtu_; }

  // The UDP socket pairs send from unless installed with another (shared mode: the data
  // plane's own descriptor of shared_udp_fd).
  int esp_fd() const { return esp_fd_; }
  // Sockets pairs send from in shared mode (the data plane's descriptors of them).
  size_t shared_sockets() const;

  // Starts the sending thread and, unless the socket is shared, the receiving one.
  Result<void> start();
  // Stops and joins the threads (idempotent).
  void stop();
  // The first error a thread stopped on (the socket or TUN failed), if any.
  std::optional<Error> failure() const;
  // Readable once a thread stopped on an error (eventfd, non-blocking; valid after
  // create; never reset): what an owner's event loop watches instead of polling failure().
  int failure_fd() const { return failure_fd_.get(); }

  // Adds the pair: the inbound SA first (RFC 7296 2.8: be ready to receive on the new
  // SA before sending on it), then the outbound SA, which takes over the selectors of
  // the pair it replaces (spec.replaces_spi_in, same IKE SA). Key problems are
  // Errc::bad_value with the spec's field path; an SPI that is already installed
  // inbound is Errc::bad_value "in.spi"; selectors that overlap those of a pair of
  // another IKE SA (spec.ike_sa) are Errc::bad_value "remote_ts", counted in
  // DataplaneStats::sa_refused, and nothing is installed. A pair the data plane has no
  // socket for (its family, its encapsulation: esp_path.hpp) is Errc::bad_value "local"
  // or "udp_encap".
  // `stream`: the pair's ESP goes in that TCP stream (RFC 9329) instead of UDP.
  // `udp_fd` (shared mode): the socket on spec.local its UDP-encapsulated ESP leaves from
  // (ike-up's NAT-T socket of that address); -1: shared_udp_fd. The pair keeps it for a
  // later switch to UDP encapsulation (move_pairs) until a move names another. Without a
  // shared socket a udp_fd is Errc::unsupported.
  Result<void> install_child_sa(const ChildSaSpec& spec,
                                std::shared_ptr<StreamWriter> stream = nullptr, int udp_fd = -1);
  // Removes the inbound SA `spi_in` and the outbound SA installed with it (if a newer
  // pair replaced it and is already gone, the pair it replaced is selected again).
  // Errc::not_found when no SA has that SPI.
  Result<void> remove_child_sa(uint32_t spi_in);

  // Where the Child SAs of a moved IKE SA send ESP from now on.
  struct PairPath {
    IpAddress local, remote;
    uint16_t remote_port = 0; // with udp_encap
    bool udp_encap = true;    // false: plain ESP (needs TunDataplaneOptions::plain_esp)
    int udp_fd = -1;          // shared mode: the NAT-T socket on `local`; -1: each keeps its own
  };
  // MOBIKE (RFC 4555 3.5) or the peer's NAT mapping changed (RFC 7296 2.23, RFC 3948):
  // the pairs `spis_in` (the Child SAs of one IKE SA) move together, in one change the
  // sending thread applies between two batches, so no packet is sealed for the old
  // path after the switch, and none of them goes on alone. `udp_fd` changes the
  // socket their UDP-encapsulated ESP leaves from (theirs only: other pairs keep their
  // own). Their inbound SAs expect packets from the new peer (take_peer_changes). No lock on
  // the packet path. Errc::not_found when a pair is not installed (nothing moves); a path
  // without a socket of its family or encapsulation is refused as install_child_sa does
  // (nothing moves). The path may be of the other family (MOBIKE from IPv4 to IPv6).
  Result<void> move_pairs(std::span<const uint32_t> spis_in, const PairPath& to);
  // RFC 9329: the IKE SA of the pair `spi_in` moved to another TCP connection; its ESP
  // follows from the next batch on. Errc::not_found when no pair has that SPI.
  Result<void> set_stream(uint32_t spi_in, std::shared_ptr<StreamWriter> stream);
  // Shared-socket mode, the caller's thread: one ESP packet read from a TCP stream,
  // copied into a receive buffer; end_stream_batch() opens and delivers what came.
  // false: dropped, larger than a receive buffer (the caller counts it).
  bool receive_stream_esp(ByteView esp);
  void end_stream_batch();

  // Shared-socket mode with plain_esp: the raw socket of family `f` the owner's loop
  // watches (-1 without), and what it calls when that socket is readable (the caller's
  // thread, as handle_esp): reads, opens and delivers the plain ESP waiting there.
  int plain_fd(IpAddress::Family f) const { return plain_fds_[family_index(f)].get(); }
  void receive_plain(IpAddress::Family f);
  // When the outbound SA of the pair `spi_in` last sent a packet (wall clock, ns since
  // the epoch, as of the last batch; 0: never); nullopt when no such pair. Any thread.
  std::optional<int64_t> last_sent_ns(uint32_t spi_in) const;

  // Shared-socket mode: opens and delivers the ESP datagrams among `slots` (kind esp).
  // Other kinds are ignored. The slots' buffers are decrypted in place; `headroom`
  // bytes before each buffer may be written (transport mode's IP header).
  void handle_esp(std::span<RecvSlot> slots, size_t headroom);
  // Shared-socket mode, after handle_esp on the same thread: the Child SAs (inbound
  // SPI) that opened ESP (ICV verified, replay window passed) from a source other than
  // their peer since the last call, once per SA and source (RFC 3948, RFC 7296 2.23).
  // A forged or replayed packet is never among them. Following is the IKE SA's
  // decision: set_peer moves the pair, and its packets are then expected from there.
  std::vector<esp::PeerChange> take_peer_changes();
  // Whether the offloads are on (TUN vnet header, UDP GSO; GRO when it reads).
  bool offload() const { return offload_; }

  DataplaneStats stats() const;
  // The pair installed with inbound SPI `spi_in` (as of the last batch); nullopt when
  // no such pair is installed. Any thread.
  std::optional<ChildSaCounters> child_sa_counters(uint32_t spi_in) const;

  // Readable while rekey requests wait (eventfd, non-blocking; valid after create).
  int rekey_fd() const { return rekey_fd_.get(); }
  // The inbound SPIs of the pairs whose outbound SA reached its soft limit since the
  // last call (each SA at most once in its life); resets rekey_fd(). Any thread.
  std::vector<uint32_t> take_rekey_requests();

private:
  struct OutEntry;
  struct InEntry;
  struct TxCommand;
  struct RxCommand;
  struct TxState;
  struct RxState;
  template <typename Command> class Channel;

  TunDataplane() = default;
  static size_t family_index(IpAddress::Family f) { return f == IpAddress::Family::v6 ? 1 : 0; }
  Result<void> open_plain_sockets(const IpAddress& local); // shared mode, plain_esp
  Result<void> setup_buffers();
  // The path of a pair from `local` to `remote` (esp_path.hpp); `udp_fd`: the socket its
  // UDP-encapsulated ESP leaves from (-1: esp_fd_).
  Result<EspPath> path_for(const IpAddress& local, const IpAddress& remote, bool udp_encap,
                           bool stream, int udp_fd) const;
  // What one batch of a direction did: nothing waited (or another thread was at work
  // on it), some packets moved, or the batch filled (more may wait).
  enum class Work { none, some, more };
  void worker_loop(bool sending); // a thread's loop (tun_worker.cpp)
  // One batch TUN -> ESP, tx_->busy held. `eager`: sent as soon as a packet is read (sparse
  // traffic: the read that would find the device empty waits until after the send).
  Work tx_batch(bool eager = false);
  Work rx_batch(); // one batch ESP -> TUN, rx_->busy held
  Work sending_batch(bool wait,
                     bool eager = false); // tx_batch under tx_->busy: waiting, or if free
  Work receiving_batch(bool wait);        // rx_batch likewise (none with a shared socket)
  void answer_delivered();                // after a delivery: the replies the device already holds
  bool tx_fill(bool eager);      // reads TUN into the batch; false: idle (or eager and read)
  bool tx_read_offload();        // one super-packet, cut into the batch
  void tx_flush();               // seals and sends the batch
  size_t send_streams(size_t n); // frames stream SAs' packets; returns those left for UDP
  size_t send_plain(size_t n);   // sends plain ESP SAs' packets; returns those left for UDP
  bool send_udp(size_t n);       // sends the rest, split by socket; false: a socket failed
  void set_tx_peer(uint32_t slot, const EspPeer& peer); // sending thread
  EspPeer peer_for(const IpAddress& local, const IpAddress& remote, uint16_t port,
                   bool udp_encap) const;
  void set_tx_stream(uint32_t slot, std::shared_ptr<StreamWriter> stream); // sending thread
  void deliver(size_t npackets); // opens rx_'s packets, writes them to TUN
  // Splits (as `from` reads its socket: rx_'s receiver when null), delivers when full.
  size_t take_message(const EspMessage& m, uint8_t* floor, size_t k,
                      const esp::EspSource* source = nullptr, const EspReceiver* from = nullptr);
  // Until either fd or the eventfd is readable; false when only fd2 is.
  bool wait_readable(int fd, int fd2, int wake_fd);
  // Sleeps on the thread's descriptors; false when the sending thread, serving both
  // directions, woke for the socket alone (its device need not be read first).
  bool sleep_until_work(bool sending, TunPacing& pacing);
  void set_joint(bool sending, bool sparse, bool full, int64_t now); // one thread for both?
  void apply_tx(TxCommand& c);
  void apply_rx(RxCommand& c);
  void drain_tx_commands();
  void drain_rx_commands();
  bool tx_pending() const; // an SA change waits for the thread
  bool rx_pending() const;
  int tx_wake_fd() const;
  int rx_wake_fd() const;
  Result<void> reserve_slot(const ChildSaSpec& spec, const esp::SaSelectors& selectors, int udp_fd,
                            TxCommand& tc);
  // Shared mode (mu_ held): our descriptor of `udp_fd`'s socket (-1: the shared one) for
  // `pairs` more pairs; without a shared socket, the data plane's own.
  Result<int> acquire_socket(int udp_fd, size_t pairs);
  // One pair less on each of our descriptors `fds` (-1: none), once the sending thread
  // no longer sends on them for those pairs.
  void release_sockets(std::span<const int> fds);
  Result<void> post_tx(TxCommand c);
  // The slot of the Child SA with inbound SPI `spi_in` (mu_ held); Errc::not_found.
  Result<std::map<uint32_t, uint32_t>::iterator> find_slot(uint32_t spi_in);
  Result<void> post_rx(RxCommand c);
  void fail(Error e);
  void request_rekey(uint32_t spi_in); // sending thread

  std::optional<TunDevice> tun_;
  Fd own_esp_fd_;
  std::array<Fd, 2> plain_fds_; // shared mode: plain ESP by family (family_index)
  int esp_fd_ = -1;
  bool udp_encap_ = true;
  bool v6_ = false;
  bool shared_ = false;
  bool offload_ = true;
  int64_t busy_poll_ns_ = 0; // TunDataplaneOptions::busy_poll
  uint32_t mtu_ = kDefaultMtu;

  std::unique_ptr<TxState> tx_;
  std::unique_ptr<RxState> rx_;

  std::thread tx_thread_, rx_thread_;
  std::atomic<bool> stop_{false};
  // The sending thread serves both directions (sparse traffic, tun_worker.cpp): it
  // watches the socket, the receiving thread only its eventfd.
  std::atomic<bool> joint_{false};
  std::atomic<int64_t> tx_idle_since_{0}, rx_idle_since_{0}; // when it went to sleep; 0: awake

  mutable std::mutex mu_; // guards the channels' queues and acks, and failure_
  std::condition_variable cv_;
  std::unique_ptr<Channel<TxCommand>> tx_ch_;
  std::unique_ptr<Channel<RxCommand>> rx_ch_;
  std::optional<Error> failure_;
  // The control side's view of the installed pairs (guarded by mu_): each pair has a
  // slot, its id in both selector tables; this table decides conflicts and rekeys.
  esp::SelectorTable spd_;
  std::map<uint32_t, uint32_t> slot_of_; // inbound SPI -> slot
  std::vector<uint32_t> spi_of_slot_;    // slot -> inbound SPI
  std::vector<uint32_t> free_slots_;
  // Shared mode: the sockets pairs send from (our descriptors, counted per pair), and
  // each slot's (-1: none counted).
  std::unique_ptr<SocketRefs> sockets_;
  std::vector<int> socket_of_slot_;
  uint64_t sa_refused_ = 0;              // installs refused: selectors overlap another IKE SA's
  std::vector<uint32_t> rekey_requests_; // inbound SPIs; guarded by mu_
  Fd rekey_fd_;
  Fd failure_fd_;
  // By inbound SPI: the {inbound, outbound} SAs' cells, shared with the entries.
  std::map<uint32_t, std::pair<std::shared_ptr<SaCell>, std::shared_ptr<SaCell>>> cells_;

  StatsCell<OutStats> out_cell_;
  StatsCell<InStats> in_cell_;
};

} // namespace ikekit::io::dataplane
