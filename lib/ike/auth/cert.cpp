// Certificate authentication, RFC 7296 2.15, 3.6-3.8 and RFC 7427 (Digital Signature,
// method 14, used when the peer sent SIGNATURE_HASH_ALGORITHMS; else the classic method
// of the key: RSA 1, ECDSA 9/10/11).
//
//   HDR, SK {IDi, CERT+, [CERTREQ+], [IDr], AUTH, SAi2, TSi, TSr}  -->
//                              <--  HDR, SK {IDr, CERT+, AUTH, SAr2, TSi, TSr}
//
// The peer's chain (end entity first, then intermediates) is validated against the
// configured CAs at the engine's notion of wall time (now + Config::wall_clock_offset),
// its identity bound to the end entity (match_identity), and the AUTH signature checked
// over the signed octets with the end entity's key (not over SHA-1 unless allowed).
// An initiator also checks that the responder is the gateway it meant: the certificate
// names PeerConfig::remote_cert_identity and is a server's (extendedKeyUsage).
// PSK AUTH data is compared in constant time.
#include "crypto/digest.hpp"
#include "ike/engine_impl.hpp"

#include <ctime>

namespace ikekit::ike {

using wire::PayloadType;

Result<std::pair<wire::AuthMethod, Bytes>> Engine::Impl::make_auth(IkeSa& sa, ByteView id_body) {
  const PeerConfig& peer = *sa.peer;
  if (peer.local_auth == AuthMethodKind::psk) {
    auto d = psk_auth_data(sa, sa.initiator, id_body);
    if (!d) return d.error();
    return std::pair{wire::AuthMethod::shared_key_message_integrity_code, std::move(*d)};
  }
  if (!peer.private_key)
    return make_error(Errc::usage, "private_key", "pubkey authentication without a private key");
  auto scheme = crypto::default_auth_scheme(peer.private_key->type(), sa.hs->peer_sig_hashes,
                                            peer.prefer_rsa_pss);
  if (!scheme) return scheme.error();
  auto octets = signed_octets(sa, sa.initiator, id_body);
  if (!octets) return octets.error();
  auto sig = peer.private_key->sign_auth(*scheme, *octets);
  if (!sig) return sig.error();
  sa.local_auth_desc = std::string(crypto::auth_scheme_name(*scheme));
  return std::pair{wire::AuthMethod(crypto::auth_method_of(*scheme)), std::move(*sig)};
}

// We initiated, so the peer is the gateway we meant to reach: its certificate must name
// the configured identity (by default its address) and be made for a server.
std::optional<Failure> Engine::Impl::check_gateway_certificate(const IkeSa& sa,
                                                               const crypto::Certificate& cert,
                                                               wire::ExchangeType exchange) {
  const PeerConfig& peer = *sa.peer;
  if (const auto& want = peer.remote_cert_identity) {
    if (auto m = crypto::match_identity(cert, uint8_t(want->type), want->data); !m) {
      Failure f = failure(sa, exchange, FailureStep::id,
                          "the gateway's certificate does not name " + want->to_string() +
                              " (no remote identity configured: its address must be a "
                              "subjectAltName): " +
                              m.error().message);
      f.offered.push_back(cert.subject());
      f.configured.push_back(want->to_string());
      return f;
    }
  }
  if (!peer.require_server_eku) return std::nullopt;
  auto ekus = cert.extended_key_usage();
  if (ekus)
    for (const auto& oid : *ekus)
      if (oid == crypto::eku::server_auth || oid == crypto::eku::ike_intermediate)
        return std::nullopt;
  Failure f = failure(sa, exchange, FailureStep::cert,
                      "the gateway's certificate " + cert.subject() +
                          " is not a server's: its extendedKeyUsage lists neither serverAuth "
                          "nor the IKE intermediate (1.3.6.1.5.5.8.2.2)");
  f.offered = ekus ? *ekus : std::vector<std::string>{};
  f.configured = {std::string(crypto::eku::server_auth),
                  std::string(crypto::eku::ike_intermediate)};
  return f;
}

std::optional<Failure> Engine::Impl::verify_auth(IkeSa& sa, Inbound& in, const wire::IdPayload& id,
                                                 ByteView id_body, wire::ExchangeType exchange) {
  const PeerConfig& peer = *sa.peer;
  const wire::RawPayload* raw = in.find(PayloadType::auth);
  if (!raw) return failure(sa, exchange, FailureStep::auth, "no AUTH payload");
  auto auth = wire::parse_auth(raw->body);
  if (!auth)
    return failure(sa, exchange, FailureStep::auth,
                   "malformed AUTH payload: " + auth.error().message);
  const bool peer_is_initiator = !sa.initiator;

  if (peer.remote_auth == AuthMethodKind::eap_mschapv2)
    return failure(sa, exchange, FailureStep::auth,
                   "peer sent AUTH (" + std::string(wire::auth_method_name(auth->method)) +
                       "), configured: eap-mschapv2 (RFC 7296 2.16: it leaves AUTH out)");

  if (peer.remote_auth == AuthMethodKind::psk) {
    if (auth->method != wire::AuthMethod::shared_key_message_integrity_code)
      return failure(sa, exchange, FailureStep::auth,
                     "peer used " + std::string(wire::auth_method_name(auth->method)) +
                         ", configured: psk");
    auto expected = psk_auth_data(sa, peer_is_initiator, id_body);
    if (!expected || !crypto::constant_time_equal(*expected, auth->data))
      return failure(sa, exchange, FailureStep::auth,
                     "AUTH payload did not verify with the configured PSK");
    sa.remote_auth_desc = "psk";
    return std::nullopt;
  }

  // Public key: the chain first.
  std::vector<crypto::Certificate> certs;
  for (const auto& p : in.chain()) {
    if (p.type != uint8_t(PayloadType::cert)) continue;
    auto c = wire::parse_cert(p.body);
    if (!c || c->encoding != wire::CertEncoding::x509_signature) continue;
    auto cert = crypto::Certificate::from_der(c->data);
    if (!cert)
      return failure(sa, exchange, FailureStep::cert,
                     "unparsable certificate: " + cert.error().message);
    certs.push_back(std::move(*cert));
  }
  if (certs.empty())
    return failure(sa, exchange, FailureStep::cert,
                   "peer sent no X.509 certificate (CERT payload)");
  if (!peer.cas || peer.cas->anchors().empty())
    return failure(sa, exchange, FailureStep::cert,
                   "no CA configured to validate the peer's certificate");
  auto wall = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch() +
                                                               config.wall_clock_offset);
  auto path = peer.cas->verify(certs[0], std::span(certs).subspan(1), std::time_t(wall.count()));
  if (!path) {
    Failure f = failure(sa, exchange, FailureStep::cert, path.error().message);
    f.offered.push_back(certs[0].subject());
    for (const auto& a : peer.cas->anchors())
      f.configured.push_back(a.subject());
    return f;
  }
  if (auto m = crypto::match_identity(certs[0], uint8_t(id.type), id.data); !m)
    return failure(sa, exchange, FailureStep::id, m.error().message);
  if (sa.initiator)
    if (auto f = check_gateway_certificate(sa, certs[0], exchange)) return f;
  auto key = certs[0].public_key();
  if (!key) return failure(sa, exchange, FailureStep::cert, key.error().message);
  auto octets = signed_octets(sa, peer_is_initiator, id_body);
  if (!octets) return failure(sa, exchange, FailureStep::auth, octets.error().message);
  auto scheme = crypto::verify_auth(*key, uint8_t(auth->method), auth->data, *octets);
  if (!scheme)
    return failure(sa, exchange, FailureStep::auth,
                   "AUTH signature did not verify: " + scheme.error().message);
  // RFC 7427 4 / RFC 8247 3.2: we announce SHA-2 only; SHA-1 is refused unless allowed.
  if (crypto::digest_of(*scheme) == crypto::SigHash::sha1 && !config.allow_sha1_signatures)
    return failure(sa, exchange, FailureStep::auth,
                   "AUTH is signed with " + std::string(crypto::auth_scheme_name(*scheme)) +
                       " over SHA-1, which is not allowed (allow_sha1_signatures)");
  sa.remote_auth_desc = std::string(crypto::auth_scheme_name(*scheme));
  return std::nullopt;
}

} // namespace ikekit::ike
