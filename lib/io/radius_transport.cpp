#include "io/radius_transport.hpp"

#include "io/event_loop.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <poll.h>

namespace ikekit::io {

Result<RadiusTransport> RadiusTransport::open(std::vector<Endpoint> servers,
                                              std::optional<IpAddress> local) {
  if (servers.empty())
    return make_error(Errc::usage, "radius.servers", "no RADIUS server configured");
  const auto family = servers.front().address.family();
  for (size_t i = 0; i < servers.size(); ++i)
    if (servers[i].address.family() != family)
      return make_error(Errc::usage, "radius.servers[" + std::to_string(i) + "]",
                        servers[i].to_string() + ": all servers must be of one address family");
  UdpSocketOptions o;
  if (local) {
    o.local.address = *local;
  } else {
    const uint8_t zeros[16] = {};
    o.local.address = family == IpAddress::Family::v4 ? IpAddress::v4(ByteView(zeros, 4))
                                                      : IpAddress::v6(ByteView(zeros, 16));
  }
  auto s = UdpSocket::open(o);
  if (!s) return s.error();
  return RadiusTransport(std::move(*s), std::move(servers));
}

Result<void> RadiusTransport::flush(radius::Client& client) {
  std::array<uint8_t, radius::kMaxPacketSize> buf;
  while (auto tx = client.poll_transmit(buf)) {
    if (tx->server >= servers_.size())
      return make_error(Errc::usage, "radius.servers",
                        "the client has more servers than addresses");
    SendSlot slot;
    slot.data = ByteView(buf.data(), tx->size);
    slot.remote = servers_[tx->server];
    auto sent = socket_.send(slot);
    if (!sent) return sent.error();
    // A full kernel buffer loses the datagram; the client's retransmission covers it.
  }
  return {};
}

Result<void> RadiusTransport::on_readable(radius::Client& client, TimePoint now) {
  std::array<uint8_t, radius::kMaxPacketSize> buf;
  for (;;) {
    RecvSlot slot;
    slot.buffer = buf;
    auto n = socket_.recv_batch(std::span<RecvSlot>(&slot, 1));
    if (!n) return n.error();
    if (*n == 0) return {};
    if (slot.truncated) continue;
    auto it = std::find(servers_.begin(), servers_.end(), slot.remote);
    if (it == servers_.end()) continue; // not from one of our servers
    client.receive(size_t(it - servers_.begin()), slot.data(), now);
  }
}

Result<radius::Response> RadiusTransport::wait_for(radius::Client& client,
                                                   radius::RequestHandle handle) {
  for (;;) {
    while (auto r = client.poll_response())
      early_.push_back(std::move(*r));
    auto found = std::find_if(early_.begin(), early_.end(),
                              [&](const radius::Response& r) { return r.handle == handle; });
    if (found != early_.end()) {
      radius::Response r = std::move(*found);
      early_.erase(found);
      return r;
    }
    if (!client.outstanding(handle))
      return make_error(Errc::not_found, "radius.request", "no such outstanding request");
    auto f = flush(client);
    if (!f) return f.error();
    const TimePoint now = EventLoop::now();
    int wait_ms = 1000;
    if (auto t = client.next_timeout())
      wait_ms = int(std::clamp<int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(*t - now).count() + 1, 0, 1000));
    pollfd pfd{socket_.fd(), POLLIN, 0};
    if (::poll(&pfd, 1, wait_ms) < 0 && errno != EINTR)
      return make_error(Errc::io, "radius", std::string("poll: ") + std::strerror(errno));
    auto r = on_readable(client, EventLoop::now());
    if (!r) return r.error();
    client.on_timeout(EventLoop::now());
  }
}

} // namespace ikekit::io
