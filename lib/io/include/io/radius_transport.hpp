// The socket under the sans-I/O RADIUS client (radius/client.hpp): one unconnected UDP
// socket that sends the client's datagrams to its servers' addresses and feeds back the
// datagrams that come from them (others are ignored: RFC 2865 3 matches a response by
// source address too). It can be driven by an EventLoop (fd, flush, on_readable) or,
// for simple callers and tests, synchronously with wait_for().
#pragma once

#include "base/result.hpp"
#include "io/endpoint.hpp"
#include "io/udp_socket.hpp"
#include "radius/client.hpp"

#include <optional>
#include <vector>

namespace ikekit::io {

class RadiusTransport {
public:
  // `servers` in the order of the client's secrets (all of one address family); binds an
  // ephemeral port on `local`, or on the wildcard address of that family.
  static Result<RadiusTransport> open(std::vector<Endpoint> servers,
                                      std::optional<IpAddress> local = std::nullopt);

  int fd() const { return socket_.fd(); }
  const std::vector<Endpoint>& servers() const { return servers_; }

  // Sends every datagram the client has queued.
  Result<void> flush(radius::Client& client);
  // Reads what has arrived and hands it to the client.
  Result<void> on_readable(radius::Client& client, TimePoint now);
  // Sends, then waits (poll) and runs the client's timers until `handle` is answered or
  // times out on every server; the Response.
  Result<radius::Response> wait_for(radius::Client& client, radius::RequestHandle handle);

private:
  RadiusTransport(UdpSocket socket, std::vector<Endpoint> servers)
      : socket_(std::move(socket)), servers_(std::move(servers)) {}

  UdpSocket socket_;
  std::vector<Endpoint> servers_;
  std::vector<radius::Response> early_; // answers to other handles seen by wait_for
};

} // namespace ikekit::io
