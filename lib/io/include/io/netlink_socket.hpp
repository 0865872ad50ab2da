// One netlink request/acknowledgement exchange over libmnl, shared by the rtnetlink
// (netlink_route) and XFRM (xfrm) backends. Building a message is pure and lives
// with each backend; this file only sends it and reads the kernel's answer.
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct mnl_socket;

namespace ikekit::io {

// What the kernel answered to one request: errno (0 = acknowledged) and, when the
// kernel attached one (NLM_F_ACK_TLVS), its extended-ack text such as
// "Requested AEAD algorithm not found".
struct NetlinkAck {
  int error = 0;
  std::string extack;
};

class NetlinkSocket {
public:
  // protocol: NETLINK_ROUTE or NETLINK_XFRM. `what` names the socket in errors ("xfrm").
  static Result<NetlinkSocket> open(int protocol, std::string_view what);

  // Next sequence number to put into a request (the builders take it as a parameter).
  uint32_t next_seq() { return ++seq_; }

  // Send one request that carries NLM_F_ACK and wait for its NLMSG_ERROR answer.
  // A transport failure is an Errc::io error; the kernel's verdict is in NetlinkAck.
  Result<NetlinkAck> request(ByteView message);

  // Send one request and wait for a single reply message (e.g. XFRM_MSG_GETSA ->
  // XFRM_MSG_NEWSA). The reply is copied into `reply`; a kernel error is returned
  // in NetlinkAck.error with `reply` left empty.
  Result<NetlinkAck> query(ByteView message, std::vector<uint8_t>& reply);

private:
  NetlinkSocket() = default;
  Result<void> send(ByteView message);

  // libmnl's socket owns the descriptor: mnl_socket_close() closes it and frees the struct.
  struct MnlClose {
    void operator()(mnl_socket* nl) const;
  };
  std::unique_ptr<mnl_socket, MnlClose> nl_;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
  std::string what_;
  std::vector<uint8_t> rx_; // receive buffer, allocated once
};

// "No such file or directory" for an errno, and its symbolic name "ENOENT".
std::string errno_text(int err);
std::string_view errno_name(int err);

} // namespace ikekit::io
