// The sending half of an RFC 9329 connection (io/stream_writer.hpp), over a stream
// socketpair: a batch of ESP packets becomes frames (2-byte length, no marker, RFC 9329
// 3.2) written by one send(2); a full socket keeps the bytes, ESP past its limit is
// dropped and counted (esp_full) while IKE still has room; a closed connection counts
// esp_closed; a write the other thread could not finish is signalled once.
#include "io/stream_writer.hpp"
#include "wire/tcp_encap.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace ikekit;
using namespace ikekit::io;

namespace {

struct Pair {
  int fds[2] = {-1, -1};
  int wake = -1;
  Pair() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    REQUIRE(wake >= 0);
  }
  ~Pair() {
    ::close(fds[1]);
    ::close(wake);
  }
  // Everything the writer's end sent so far, framed.
  std::vector<wire::TcpFrame> read_frames(std::vector<uint8_t>& keep) {
    uint8_t buf[65536];
    for (ssize_t n; (n = ::recv(fds[1], buf, sizeof buf, 0)) > 0;)
      keep.insert(keep.end(), buf, buf + n);
    wire::TcpEncapReader reader(false);
    reader.feed(ByteView(keep.data(), keep.size()));
    std::vector<wire::TcpFrame> frames;
    while (auto f = reader.next()) {
      REQUIRE(f->has_value());
      frames.push_back(**f);
    }
    CHECK_FALSE(reader.mid_frame());
    return frames;
  }
};

// An ESP packet: a non-zero SPI, a sequence number, some body.
std::vector<uint8_t> esp_packet(uint32_t seq, size_t size) {
  std::vector<uint8_t> p(size, uint8_t(seq));
  const uint8_t head[8] = {0xc1, 0, 0, 1, 0, 0, uint8_t(seq >> 8), uint8_t(seq)};
  std::memcpy(p.data(), head, sizeof head);
  return p;
}

std::vector<esp::SealedPacket> sealed(std::vector<std::vector<uint8_t>>& packets) {
  std::vector<esp::SealedPacket> v;
  for (auto& p : packets)
    v.push_back(esp::SealedPacket{MutBytes(p.data(), p.size()), 0});
  return v;
}

} // namespace

TEST_CASE("stream writer: a batch of ESP packets is framed and written in one send") {
  Pair p;
  StreamWriter w(Fd(p.fds[0]), true, p.wake, 1 << 20, 256 << 10);
  std::vector<std::vector<uint8_t>> packets;
  for (uint32_t seq = 1; seq <= 5; ++seq)
    packets.push_back(esp_packet(seq, 100 + seq * 17));
  auto batch = sealed(packets);
  REQUIRE(w.append_esp(batch) == 5);
  CHECK(w.flush() == StreamWriter::Flush::done);
  CHECK(w.stats().writes == 1);
  CHECK(w.stats().esp_frames == 5);
  std::vector<uint8_t> wire_bytes;
  auto frames = p.read_frames(wire_bytes);
  REQUIRE(frames.size() == 5);
  size_t total = 0;
  for (size_t i = 0; i < 5; ++i) {
    CHECK(frames[i].kind == wire::UdpKind::esp);
    CHECK(std::vector<uint8_t>(frames[i].data.begin(), frames[i].data.end()) == packets[i]);
    total += 2 + packets[i].size(); // RFC 9329 3.2: the length field, then the packet
  }
  CHECK(wire_bytes.size() == total);
  CHECK(w.stats().bytes == total);
}

TEST_CASE("stream writer: IKE behind the non-ESP marker, the prefix first") {
  Pair p;
  StreamWriter w(Fd(p.fds[0]), false, p.wake, 4096, 1024);
  REQUIRE(w.append_raw(ByteView(wire::kTcpEncapPrefix.data(), wire::kTcpEncapPrefix.size())));
  std::vector<uint8_t> ike(28, 0x11); // an IKE header's worth
  REQUIRE(w.append(wire::UdpKind::ike, ike));
  // Not connected yet (an originator's connect in progress): nothing is written.
  CHECK(w.flush() == StreamWriter::Flush::blocked);
  CHECK(w.pending() == 6 + 2 + 4 + 28);
  w.set_connected();
  CHECK(w.flush() == StreamWriter::Flush::done);
  uint8_t buf[64];
  REQUIRE(::recv(p.fds[1], buf, sizeof buf, 0) == 40);
  CHECK(std::memcmp(buf, "IKETCP", 6) == 0);
  CHECK((buf[6] << 8 | buf[7]) == 2 + 4 + 28); // the length counts itself and the marker
  CHECK(std::memcmp(buf + 8, "\0\0\0\0", 4) == 0);
}

TEST_CASE("stream writer: backpressure drops ESP past its limit and counts it, IKE still fits") {
  Pair p;
  int small = 4096;
  ::setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  const size_t esp_limit = 16 << 10;
  StreamWriter w(Fd(p.fds[0]), true, p.wake, 64 << 10, esp_limit);
  std::vector<std::vector<uint8_t>> packets;
  for (uint32_t seq = 1; seq <= 64; ++seq)
    packets.push_back(esp_packet(seq, 1400));
  auto batch = sealed(packets);
  // The peer reads nothing: the socket fills, then the writer's ESP share.
  size_t took = 0;
  for (int round = 0; round < 20; ++round) {
    took += w.append_esp(batch);
    (void)w.flush();
  }
  StreamWriterStats s = w.stats();
  CHECK(s.esp_frames == took);
  CHECK(s.esp_full == 20 * 64 - took);
  CHECK(s.esp_full > 0);
  CHECK(w.pending() <= esp_limit);
  CHECK(w.flush() == StreamWriter::Flush::blocked);
  // IKE has the rest of the capacity.
  std::vector<uint8_t> ike(1000, 0x22);
  CHECK(w.append(wire::UdpKind::ike, ike));
  CHECK(w.stats().ike_dropped == 0);
  // The peer reads: what was kept goes out.
  uint8_t buf[65536];
  for (int i = 0; i < 1000 && w.flush() != StreamWriter::Flush::done; ++i)
    while (::recv(p.fds[1], buf, sizeof buf, 0) > 0) {
    }
  CHECK(w.pending() == 0);
}

TEST_CASE("stream writer: the whole stream stays framed under backpressure") {
  Pair p;
  int small = 4096;
  ::setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  StreamWriter w(Fd(p.fds[0]), true, p.wake, 32 << 10, 8 << 10);
  std::vector<std::vector<uint8_t>> packets;
  for (uint32_t seq = 1; seq <= 16; ++seq)
    packets.push_back(esp_packet(seq, 700));
  auto batch = sealed(packets);
  std::vector<uint8_t> all;
  uint8_t buf[65536];
  size_t took = 0;
  for (int round = 0; round < 50; ++round) {
    took += w.append_esp(batch);
    (void)w.flush();
    if (round % 3 == 0) // the peer reads now and then: the buffer compacts and refills
      for (ssize_t n; (n = ::recv(p.fds[1], buf, sizeof buf, 0)) > 0;)
        all.insert(all.end(), buf, buf + n);
  }
  for (int i = 0; i < 1000 && w.pending() > 0; ++i) {
    (void)w.flush();
    for (ssize_t n; (n = ::recv(p.fds[1], buf, sizeof buf, 0)) > 0;)
      all.insert(all.end(), buf, buf + n);
  }
  REQUIRE(w.pending() == 0);
  for (ssize_t n; (n = ::recv(p.fds[1], buf, sizeof buf, 0)) > 0;)
    all.insert(all.end(), buf, buf + n);
  CHECK(all.size() == took * 702);
  CHECK(w.stats().bytes == took * 702);
  wire::TcpEncapReader reader(false);
  reader.feed(ByteView(all.data(), all.size()));
  size_t frames = 0;
  while (auto f = reader.next()) {
    REQUIRE(f->has_value());
    CHECK((*f)->data.size() == 700);
    ++frames;
  }
  CHECK_FALSE(reader.mid_frame());
  CHECK(frames == took);
  CHECK(w.stats().esp_full == 50 * 16 - took);
  CHECK(w.stats().esp_full > 0);
}

TEST_CASE("stream writer: a closed connection counts esp_closed and refuses IKE") {
  Pair p;
  StreamWriter w(Fd(p.fds[0]), true, p.wake, 4096, 1024);
  w.close();
  CHECK(w.closed());
  std::vector<std::vector<uint8_t>> packets{esp_packet(1, 100), esp_packet(2, 100)};
  auto batch = sealed(packets);
  CHECK(w.append_esp(batch) == 0);
  CHECK(w.stats().esp_closed == 2);
  std::vector<uint8_t> ike(28, 0);
  CHECK_FALSE(w.append(wire::UdpKind::ike, ike));
  CHECK(w.stats().ike_dropped == 1);
  CHECK(w.flush() == StreamWriter::Flush::failed);
}

TEST_CASE("stream writer: the sending thread signals a blocked write once") {
  Pair p;
  int small = 4096;
  ::setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  StreamWriter w(Fd(p.fds[0]), true, p.wake, 64 << 10, 64 << 10);
  std::vector<std::vector<uint8_t>> packets;
  for (uint32_t seq = 1; seq <= 32; ++seq)
    packets.push_back(esp_packet(seq, 1400));
  auto batch = sealed(packets);
  REQUIRE(w.append_esp(batch) == 32);
  w.flush_and_signal();
  w.flush_and_signal(); // still blocked: no second signal
  uint64_t n = 0;
  REQUIRE(::read(p.wake, &n, sizeof n) == sizeof n);
  CHECK(n == 1);
  CHECK(w.take_signal());
  CHECK_FALSE(w.take_signal());
  // A write that went through whole signals nothing.
  Pair q;
  StreamWriter quiet(Fd(q.fds[0]), true, q.wake, 4096, 4096);
  std::vector<std::vector<uint8_t>> one{esp_packet(1, 100)};
  auto b1 = sealed(one);
  REQUIRE(quiet.append_esp(b1) == 1);
  quiet.flush_and_signal();
  CHECK(::read(q.wake, &n, sizeof n) < 0); // EAGAIN: nothing signalled
  CHECK_FALSE(quiet.take_signal());
}
