// ikekit over TCP for ike-bench tunnel: two ike-up processes, PSK, --transport tcp
// (RFC 9329: IKE and ESP in one TCP connection from the left namespace to the right's
// port 4500), the TUN data plane; the inner addresses sit on lo and are the traffic
// selectors, as for strongSwan. The PSK lives in a 0600 file of the run's private
// directory, never on a command line.
#include "base/hex.hpp"
#include "base/secret_bytes.hpp"
#include "bench/files.hpp"
#include "bench/tunnel_peers.hpp"
#include "crypto/system_rng.hpp"

#include <chrono>

namespace ikekit::bench {

Result<RunningTunnel> start_ikekit_tcp(const NetnsSide& left, const NetnsSide& right,
                                       const PeerOptions& o) {
  RunningTunnel t;
  t.src = left.inner.to_string();
  t.dst = right.inner.to_string();
  t.cipher = o.cipher;
  t.backend = "tun";
  const std::string psk_file = o.work_dir + "/ikekit-tcp.psk";
  {
    SecretBytes psk(32);
    crypto::SystemRng rng;
    rng.fill(psk.reveal_mut());
    std::string text = to_hex(psk.reveal());
    auto w = write_private_file(psk_file, text);
    secure_zero(text.data(), text.size());
    if (!w) return w.error();
  }
  // Responder first (it listens), then the initiator, which connects.
  for (int i : {1, 0}) {
    const NetnsSide& me = i == 0 ? left : right;
    const NetnsSide& peer = i == 0 ? right : left;
    auto a = run_checked(
        {"ip", "-n", me.ns, "addr", "add", me.inner.to_string() + "/32", "dev", "lo"}, "ike-up");
    if (!a) return a.error();
    std::string base = o.work_dir + "/ike-up-" + (i == 0 ? "l" : "r");
    auto c = Child::spawn(in_netns(me.ns, {o.ike_up,
                                           "--role",
                                           i == 0 ? "initiator" : "responder",
                                           "--name",
                                           "ikb",
                                           "--local",
                                           me.outer.to_string(),
                                           "--remote",
                                           peer.outer.to_string(),
                                           "--psk-file",
                                           psk_file,
                                           "--transport",
                                           "tcp",
                                           "--dataplane",
                                           "tun",
                                           "--control-socket",
                                           "none",
                                           "--ike-proposal",
                                           "aes256gcm16-prfsha256-x25519",
                                           "--esp-proposal",
                                           o.cipher,
                                           "--local-ts",
                                           me.inner.to_string() + "/32",
                                           "--remote-ts",
                                           peer.inner.to_string() + "/32"}),
                          base + ".out", base + ".err");
    if (!c) return c.error();
    t.procs.push_back(std::move(*c));
    const char* ready = i == 0 ? "\"type\":\"child_sa_up\"" : "\"type\":\"started\"";
    auto up = wait_for_text(base + ".out", ready, t.procs.back(), std::chrono::milliseconds(10000),
                            "ike-up", base + ".err");
    if (!up) return up.error();
  }
  return t;
}

} // namespace ikekit::bench
