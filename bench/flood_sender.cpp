#include "bench/flood_sender.hpp"

#include "crypto/system_rng.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace ikekit::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kBatch = 64;
constexpr size_t kHeaders = sizeof(iphdr) + sizeof(udphdr);

// xorshift64*: addresses and SPIs need to be spread, not secret.
struct FastRng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
};

// IPv4 + UDP headers in front of the request; the kernel completes the IPv4 header.
void write_headers(uint8_t* p, uint32_t dst, uint16_t port, size_t ike_len) {
  iphdr ip{};
  ip.version = 4;
  ip.ihl = 5;
  ip.ttl = 64;
  ip.protocol = IPPROTO_UDP;
  ip.daddr = htonl(dst);
  std::memcpy(p, &ip, sizeof ip);
  udphdr udp{};
  udp.source = htons(port);
  udp.dest = htons(port);
  udp.len = htons(uint16_t(sizeof(udphdr) + ike_len));
  std::memcpy(p + sizeof ip, &udp, sizeof udp);
}

} // namespace

Result<std::unique_ptr<FloodSender>> FloodSender::open(FloodSenderOptions options) {
  if (!options.destination.is_v4())
    return make_error(Errc::usage, "flood", "the flood sends IPv4 only");
  if (options.request.size() + kHeaders > 65535)
    return make_error(Errc::usage, "flood", "the IKE_SA_INIT request is too large");
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0)
    return make_error(Errc::environment, "flood",
                      std::string("raw socket (needs CAP_NET_RAW): ") + std::strerror(errno));
  int one = 1;
  int sndbuf = 4 << 20;
  if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0) {
    int err = errno;
    close(fd);
    return make_error(Errc::environment, "flood",
                      std::string("raw socket options: ") + std::strerror(err));
  }
  std::unique_ptr<FloodSender> f(new FloodSender());
  f->o_ = std::move(options);
  f->fd_ = fd;
  return f;
}

FloodSender::~FloodSender() {
  if (thread_.joinable()) stop();
  if (fd_ >= 0) close(fd_);
}

void FloodSender::start() {
  stop_ = false;
  t0_ = Clock::now();
  thread_ = std::thread([this] { run(); });
}

FloodTotals FloodSender::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return {sent_.load(), errors_.load(), std::chrono::duration<double>(t1_ - t0_).count()};
}

void FloodSender::run() {
  // The main thread handles SIGINT/SIGTERM/SIGHUP (process.hpp), never this one.
  sigset_t block;
  sigemptyset(&block);
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&block, s);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);

  const size_t len = kHeaders + o_.request.size();
  std::vector<uint8_t> storage(kBatch * len);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = htonl(ipv4_host_order(o_.destination));
  for (size_t i = 0; i < kBatch; ++i) {
    uint8_t* p = storage.data() + i * len;
    write_headers(p, ipv4_host_order(o_.destination), o_.port, o_.request.size());
    std::memcpy(p + kHeaders, o_.request.data(), o_.request.size());
    iov[i] = {p, len};
    msgs[i].msg_hdr = msghdr{&dst, sizeof dst, &iov[i], 1, nullptr, 0, 0};
  }
  uint64_t seed = 0;
  crypto::SystemRng().fill(MutBytes(reinterpret_cast<uint8_t*>(&seed), sizeof seed));
  FastRng rng{seed | 1};
  const uint32_t host_mask = o_.source_len >= 32 ? 0 : (uint32_t(1) << (32 - o_.source_len)) - 1;
  const size_t batch =
      o_.rate_pps > 0 ? std::clamp<size_t>(size_t(o_.rate_pps / 1000), 1, kBatch) : kBatch;
  uint64_t sent = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    for (size_t i = 0; i < batch; ++i) {
      uint8_t* p = storage.data() + i * len;
      const uint32_t src = htonl(o_.source_base | (uint32_t(rng.next()) & host_mask));
      std::memcpy(p + offsetof(iphdr, saddr), &src, 4);
      const uint64_t spi_i = rng.next() | 1; // never 0 (RFC 7296 3.1)
      std::memcpy(p + kHeaders, &spi_i, 8);
    }
    int n = sendmmsg(fd_, msgs.data(), unsigned(batch), 0);
    if (n > 0)
      sent += uint64_t(n);
    else if (errno != EINTR)
      errors_.fetch_add(1, std::memory_order_relaxed);
    sent_.store(sent, std::memory_order_relaxed);
    if (o_.rate_pps > 0) // paced: never ahead of rate_pps since start
      std::this_thread::sleep_until(t0_ +
                                    std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(double(sent) / o_.rate_pps)));
  }
  t1_ = Clock::now();
}

} // namespace ikekit::bench
