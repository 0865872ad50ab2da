// EspReceiver::split: a UDP GRO message holds many datagrams back to back (RFC 3948 ESP
// in UDP, all of the message's segment size but the last); every one of them reaches the
// pipeline even when the batch has less room than the message has datagrams. (The first
// version stopped at the batch's end and lost the rest without a count: 2% of a TCP
// stream, seen as retransmits in ike-bench.)
#include "io/dataplane/esp_socket.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace ikekit;
using namespace ikekit::io::dataplane;

TEST_CASE("EspReceiver::split: all datagrams of a GRO message, across several batches") {
  const size_t seg = 40, count = 100;
  std::vector<uint8_t> buf(seg * count + 1, 0);
  for (size_t i = 0; i < count; ++i) {
    store_be32(&buf[i * seg], uint32_t(0x1000 + i)); // SPI, non-zero: ESP
    store_be32(&buf[i * seg + 4], uint32_t(i + 1));  // sequence number
  }
  buf.back() = 0xff; // a NAT keepalive as the short last datagram (RFC 3948 2.3)
  EspReceiver rx(-1, true, false);
  EspMessage m{MutBytes(buf), seg};
  std::vector<esp::InPacket> out(32);
  std::vector<uint32_t> spis;
  uint64_t not_esp = 0;
  size_t offset = 0, calls = 0;
  while (offset < m.data.size()) {
    size_t n = rx.split(m, offset, buf.data(), out, 0, not_esp);
    for (size_t i = 0; i < n; ++i) {
      CHECK(out[i].esp.size() == seg);
      CHECK(out[i].floor == buf.data());
      spis.push_back(load_be32(out[i].esp.data()));
    }
    REQUIRE(++calls < 10);
  }
  REQUIRE(spis.size() == count);
  for (size_t i = 0; i < count; ++i)
    CHECK(spis[i] == 0x1000 + i);
  CHECK(not_esp == 1);
  CHECK(calls == 4); // 32 + 32 + 32 + 4 (and the keepalive)
}

TEST_CASE("EspReceiver::split: a message without GRO is one datagram; IKE is not ESP") {
  std::vector<uint8_t> esp(60, 0x11);
  std::vector<uint8_t> ike(60, 0);
  ike[4] = 0x22; // the non-ESP marker (four zero bytes), then IKE (RFC 3948 2.2)
  EspReceiver rx(-1, true, false);
  std::vector<esp::InPacket> out(4);
  uint64_t not_esp = 0;
  size_t off = 0;
  CHECK(rx.split(EspMessage{MutBytes(esp), 0}, off, esp.data(), out, 0, not_esp) == 1);
  CHECK(out[0].esp.size() == 60);
  off = 0;
  CHECK(rx.split(EspMessage{MutBytes(ike), 0}, off, ike.data(), out, 1, not_esp) == 1);
  CHECK(not_esp == 1);
}
