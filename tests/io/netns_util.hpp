// Helpers shared by the privileged I/O tests (io_netns_test, io_netns_dataplane_test),
// which run as root inside a fresh network namespace (netns-run.sh): checks that print
// "ok:"/"FAIL:", shell commands, addresses, plain UDP sockets, raw IPv4 packets.
#pragma once

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "io/endpoint.hpp"
#include "io/prefix.hpp"
#include "ip_literal.hpp"
#include "wire/inet_checksum.hpp"

#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace netns_test {

using namespace ikekit;
using namespace ikekit::io;

inline int failures = 0;

inline void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
  std::fflush(stdout);
  if (!ok) ++failures;
}

inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  ::pclose(p);
  return out;
}

inline bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

using ikekit::test::ip;
using ikekit::test::pfx;

// An IPv4 packet carrying `payload` behind an 8-byte UDP-style header with the given
// ports (UDP checksum 0: none, RFC 768), as protocol `protocol`; `frag_units` sets
// the fragment offset (8-byte units).
inline Bytes ipv4_packet(const char* src, const char* dst, uint8_t protocol, uint16_t sport,
                         uint16_t dport, ByteView payload, uint16_t frag_units = 0) {
  Bytes pkt(28 + payload.size());
  pkt[0] = 0x45;
  store_be16(&pkt[2], uint16_t(pkt.size()));
  store_be16(&pkt[6], frag_units);
  pkt[8] = 64;
  pkt[9] = protocol;
  std::memcpy(&pkt[12], ip(src).bytes().data(), 4);
  std::memcpy(&pkt[16], ip(dst).bytes().data(), 4);
  wire::set_ipv4_header_checksum(pkt.data(), 20);
  store_be16(&pkt[20], sport);
  store_be16(&pkt[22], dport);
  store_be16(&pkt[24], uint16_t(8 + payload.size()));
  std::memcpy(&pkt[28], payload.data(), payload.size());
  return pkt;
}

inline bool wait_readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// A plain UDP socket bound to addr:port (0: any).
inline int plain_udp(const char* addr, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(Endpoint{ip(addr), port}, ss);
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool send_to(int fd, ByteView data, const char* addr, uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(Endpoint{ip(addr), port}, ss);
  return ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) ==
         ssize_t(data.size());
}

} // namespace netns_test
