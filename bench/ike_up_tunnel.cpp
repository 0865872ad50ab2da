// ike-up on both ends of a tunnel (tunnel_peers.hpp, start_ike_up_pair): what
// `ike-bench roam` measures for ikekit (UDP, MOBIKE: ike-up's defaults) and what
// `ike-bench tunnel` measures as ikekit-tcp (RFC 9329: IKE and ESP in one TCP connection
// to the right side's port 4500). IKEv2 with PSK, the TUN data plane, the inner
// addresses on lo as the traffic selectors (as tests/interop/ike_up_mobike.sh), each
// end's events in <work_dir>/ike-up-<side>.out. The PSK lives in a 0600 file of the
// run's private directory, never on a command line.
#include "base/secret_bytes.hpp"
#include "bench/files.hpp"
#include "bench/tunnel_peers.hpp"

#include <unistd.h>

namespace ikekit::bench {

namespace {

using std::chrono::milliseconds;

std::vector<std::string> ike_up_argv(const std::string& bin, const NetnsSide& me,
                                     const NetnsSide& peer, bool initiator, const PeerOptions& o,
                                     const std::string& psk_file, const std::string& sock,
                                     std::string_view transport) {
  std::vector<std::string> argv = {bin,
                                   "--role",
                                   initiator ? "initiator" : "responder",
                                   "--name",
                                   "ikb",
                                   "--local",
                                   me.outer.to_string(),
                                   "--remote",
                                   initiator ? peer.outer.to_string() : "%any",
                                   "--psk-file",
                                   psk_file,
                                   "--local-id",
                                   initiator ? "left@ikb.test" : "right@ikb.test",
                                   "--remote-id",
                                   initiator ? "right@ikb.test" : "left@ikb.test",
                                   "--ike-proposal",
                                   "aes256gcm16-prfsha256-x25519",
                                   "--esp-proposal",
                                   o.cipher,
                                   "--local-ts",
                                   me.inner.to_string() + "/32",
                                   "--remote-ts",
                                   peer.inner.to_string() + "/32",
                                   "--dataplane",
                                   "tun",
                                   "--control-socket",
                                   sock,
                                   "--transport",
                                   std::string(transport)};
  return argv;
}

} // namespace

Result<RunningTunnel> start_ike_up_pair(const NetnsSide& left, const NetnsSide& right,
                                        const PeerOptions& o, std::string_view transport) {
  auto bin =
      o.ike_up.empty() ? find_tool_beside("ike-up", "--peer") : Result<std::string>(o.ike_up);
  if (!bin) return bin.error();
  std::string psk = random_hex(32);
  const std::string psk_file = o.work_dir + "/psk";
  auto w = write_private_file(psk_file, psk + "\n");
  secure_zero(psk.data(), psk.size());
  if (!w) return w.error();

  RunningTunnel t = inner_tunnel(left, right, o.cipher, "tun");
  // The responder first, so the initiator's IKE_SA_INIT finds it listening.
  for (int i : {1, 0}) {
    const NetnsSide& me = i == 0 ? left : right;
    const NetnsSide& peer = i == 0 ? right : left;
    const std::string side = i == 0 ? "l" : "r";
    auto a = run_checked(
        {"ip", "-n", me.ns, "addr", "add", me.inner.to_string() + "/32", "dev", "lo"}, "ike-up");
    if (!a) return a.error();
    const std::string base = o.work_dir + "/ike-up-" + side, sock = base + ".sock";
    auto c = Child::spawn(
        Command(ike_up_argv(*bin, me, peer, i == 0, o, psk_file, sock, transport), {}, me.ns),
        base + ".out", base + ".err");
    if (!c) return c.error();
    t.procs.push_back(std::move(*c));
    t.control_sockets.insert(i == 0 ? t.control_sockets.begin() : t.control_sockets.end(), sock);
    t.remove_paths.push_back(sock);
    // Ready: the responder listens (its control socket exists); the initiator has its
    // Child SA installed.
    auto up =
        i == 1
            ? wait_until(
                  [&] { return access(sock.c_str(), F_OK) == 0; },
                  [&] {
                    return check_running(t.procs.back(), "ike-up", {base + ".err", base + ".out"});
                  },
                  milliseconds(5000), "ike-up")
            : wait_for_text(base + ".out", "\"type\":\"child_sa_up\"", t.procs.back(),
                            milliseconds(10000), "ike-up", base + ".err");
    if (!up) return up.error();
  }
  unlink(psk_file.c_str()); // read at start-up
  return t;
}

} // namespace ikekit::bench
