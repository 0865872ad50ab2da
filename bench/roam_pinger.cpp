#include "bench/roam_pinger.hpp"

#include "bench/netns.hpp"
#include "wire/inet_checksum.hpp"
#include "wire/ip.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ikekit::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint8_t kEchoReply = 0, kEchoRequest = 8; // RFC 792
constexpr size_t kEchoLen = 8 + 16;                 // header + a small payload

sockaddr_in to_sockaddr(const IpAddress& a) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  std::memcpy(&sa.sin_addr, a.bytes().data(), 4);
  return sa;
}

} // namespace

RoamObservation observe_roam(const std::vector<Probe>& probes, SteadyTime moved_at) {
  RoamObservation o;
  std::optional<SteadyTime> first;
  for (const auto& p : probes) {
    ++o.sent;
    if (!p.reply) {
      ++o.lost;
      continue;
    }
    if (p.sent >= moved_at && (!first || *p.reply < *first)) first = p.reply;
  }
  if (first) o.recovery_ms = std::chrono::duration<double, std::milli>(*first - moved_at).count();
  return o;
}

Result<std::unique_ptr<Pinger>> Pinger::start(const std::string& netns, const IpAddress& src,
                                              const IpAddress& dst,
                                              std::chrono::milliseconds interval) {
  if (!src.is_v4() || !dst.is_v4())
    return make_error(Errc::usage, "ping", "the roaming ping is IPv4 only");
  std::unique_ptr<Pinger> p(new Pinger());
  {
    auto in = NetnsEnter::enter(netns); // the socket stays in the namespace
    if (!in) return in.error();
    p->fd_ = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
  }
  if (p->fd_ < 0)
    return make_error(Errc::environment, "ping",
                      std::string("raw ICMP socket: ") + strerror(errno) + " (needs CAP_NET_RAW)");
  sockaddr_in local = to_sockaddr(src);
  if (bind(p->fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int err = errno;
    close(p->fd_);
    p->fd_ = -1;
    return make_error(Errc::io, "ping", "bind " + src.to_string() + ": " + strerror(err));
  }
  p->ident_ = uint16_t(getpid() ^ 0x5a5a);
  p->dst_ = dst;
  p->interval_ = interval;
  p->probes_.reserve(8192);
  p->thread_ = std::thread([raw = p.get()] { raw->run(); });
  return p;
}

Pinger::~Pinger() {
  sending_ = false;
  running_ = false;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

void Pinger::send_probe() {
  uint8_t msg[kEchoLen] = {kEchoRequest, 0, 0, 0};
  uint16_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = uint16_t(probes_.size());
    probes_.push_back({Clock::now(), std::nullopt});
  }
  msg[4] = uint8_t(ident_ >> 8), msg[5] = uint8_t(ident_);
  msg[6] = uint8_t(seq >> 8), msg[7] = uint8_t(seq);
  wire::InetChecksum sum; // RFC 792: over the ICMP message, the field zero
  sum.add(ByteView(msg, sizeof msg));
  store_be16(msg + 2, sum.checksum());
  sockaddr_in to = to_sockaddr(dst_);
  // A failed send (no route during the move) is a probe without a reply: lost.
  (void)sendto(fd_, msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
}

void Pinger::read_replies() {
  uint8_t buf[1500];
  for (;;) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return; // EAGAIN: nothing more now
    const auto now = Clock::now();
    // A raw IPv4 socket delivers the IP header too.
    wire::IpHeader ip;
    if (wire::parse_ipv4(ByteView(buf, size_t(n)), ip) != wire::IpError::none ||
        ip.payload.size() < 8 || ip.payload[0] != kEchoReply)
      continue;
    if (std::memcmp(&from.sin_addr, dst_.bytes().data(), 4) != 0) continue;
    const uint8_t* icmp = ip.payload.data();
    if ((uint16_t(icmp[4]) << 8 | icmp[5]) != ident_) continue;
    size_t seq = uint16_t(icmp[6]) << 8 | icmp[7];
    std::lock_guard<std::mutex> lock(mu_);
    if (seq < probes_.size() && !probes_[seq].reply) probes_[seq].reply = now;
  }
}

void Pinger::run() {
  auto next = Clock::now();
  while (running_) {
    auto now = Clock::now();
    if (held_) next = now; // released: the next probe at once
    if (sending_ && !held_ && now >= next && probes_.size() < 65536) {
      send_probe();
      next += interval_;
      if (next < now) next = now + interval_; // never a burst after a stall
    }
    auto wait = held_      ? Clock::duration(std::chrono::microseconds(200))
                : sending_ ? std::max(Clock::duration::zero(), next - Clock::now())
                           : Clock::duration(std::chrono::milliseconds(5));
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    timespec ts{time_t(ns / 1000000000), long(ns % 1000000000)};
    pollfd pfd{fd_, POLLIN, 0};
    if (ppoll(&pfd, 1, &ts, nullptr) > 0) read_replies();
  }
}

std::optional<SteadyTime> Pinger::first_reply_since(SteadyTime t) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<SteadyTime> first;
  for (const auto& p : probes_)
    if (p.sent >= t && p.reply && (!first || *p.reply < *first)) first = p.reply;
  return first;
}

std::vector<Probe> Pinger::finish(std::chrono::milliseconds drain) {
  sending_ = false;
  std::this_thread::sleep_for(drain);
  running_ = false;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return probes_;
}

} // namespace ikekit::bench
