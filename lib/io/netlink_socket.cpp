#include "io/netlink_socket.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

namespace ikekit::io {

std::string errno_text(int err) {
  const char* d = strerrordesc_np(err);
  return d ? std::string(d) : "errno " + std::to_string(err);
}

std::string_view errno_name(int err) {
  const char* n = strerrorname_np(err);
  return n ? std::string_view(n) : std::string_view("E?");
}

Result<NetlinkSocket> NetlinkSocket::open(int protocol, std::string_view what) {
  NetlinkSocket s;
  s.what_ = std::string(what);
  s.nl_.reset(mnl_socket_open2(protocol, SOCK_CLOEXEC));
  if (!s.nl_) {
    int err = errno;
    return make_error(err == EPERM || err == EACCES || err == EPROTONOSUPPORT ? Errc::environment
                                                                              : Errc::io,
                      s.what_, s.what_ + ": netlink socket: " + errno_text(err));
  }
  if (mnl_socket_bind(s.nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    return make_error(Errc::io, s.what_, s.what_ + ": netlink bind: " + errno_text(err));
  }
  int one = 1; // ask for extended acks: the kernel then says which attribute it refused
  mnl_socket_setsockopt(s.nl_.get(), NETLINK_EXT_ACK, &one, sizeof one);
  mnl_socket_setsockopt(s.nl_.get(), NETLINK_CAP_ACK, &one, sizeof one);
  s.port_id_ = mnl_socket_get_portid(s.nl_.get());
  s.seq_ = uint32_t(time(nullptr));
  s.rx_.resize(MNL_SOCKET_BUFFER_SIZE > 32768 ? MNL_SOCKET_BUFFER_SIZE : 32768);
  return s;
}

void NetlinkSocket::MnlClose::operator()(mnl_socket* nl) const { mnl_socket_close(nl); }

Result<void> NetlinkSocket::send(ByteView message) {
  if (mnl_socket_sendto(nl_.get(), message.data(), message.size()) < 0) {
    int err = errno;
    return make_error(Errc::io, what_, what_ + ": netlink send: " + errno_text(err));
  }
  return {};
}

namespace {

// The NLMSGERR_ATTR_MSG text of an extended ack, if any (linux/netlink.h).
std::string extack_text(const nlmsghdr* nlh) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t offset = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && err->error != 0)
    offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  const uint8_t* p = static_cast<const uint8_t*>(mnl_nlmsg_get_payload(nlh)) + offset;
  const uint8_t* end = reinterpret_cast<const uint8_t*>(nlh) + nlh->nlmsg_len;
  while (p + sizeof(nlattr) <= end) {
    nlattr a;
    std::memcpy(&a, p, sizeof a);
    if (a.nla_len < sizeof(nlattr) || p + a.nla_len > end) break;
    if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* s = reinterpret_cast<const char*>(p + sizeof(nlattr));
      return std::string(s, strnlen(s, a.nla_len - sizeof(nlattr)));
    }
    p += MNL_ALIGN(a.nla_len);
  }
  return {};
}

} // namespace

Result<NetlinkAck> NetlinkSocket::query(ByteView message, std::vector<uint8_t>& reply) {
  reply.clear();
  if (message.size() < sizeof(nlmsghdr))
    return make_error(Errc::bad_length, what_, what_ + ": netlink request shorter than a header");
  nlmsghdr req;
  std::memcpy(&req, message.data(), sizeof req);
  if (auto s = send(message); !s) return s.error();
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_.get(), rx_.data(), rx_.size());
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      return make_error(Errc::io, what_, what_ + ": netlink receive: " + errno_text(err));
    }
    auto* nlh = reinterpret_cast<const nlmsghdr*>(rx_.data());
    int len = int(n);
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != req.nlmsg_seq || (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != port_id_))
        continue; // an answer to an older request
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr)))
          return make_error(Errc::io, what_, what_ + ": truncated netlink error message");
        auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        return NetlinkAck{-e->error, extack_text(nlh)};
      }
      if (nlh->nlmsg_type == NLMSG_DONE) return NetlinkAck{};
      const auto* b = reinterpret_cast<const uint8_t*>(nlh);
      reply.assign(b, b + nlh->nlmsg_len);
      return NetlinkAck{};
    }
  }
}

Result<NetlinkAck> NetlinkSocket::request(ByteView message) {
  std::vector<uint8_t> unused;
  auto r = query(message, unused);
  if (r && r->error == 0 && !unused.empty())
    return make_error(Errc::io, what_, what_ + ": unexpected netlink reply to a request");
  return r;
}

} // namespace ikekit::io
