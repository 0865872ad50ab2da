// EnginePair (engine_pair.hpp): two engines, one thread, datagrams through reused buffers.
#include "bench/engine_pair.hpp"

#include <limits>
#include <time.h>

namespace ikekit::bench {

TimePoint steady_now() {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch()));
}

namespace {
double cpu_s(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}
} // namespace

double thread_cpu_s() { return cpu_s(CLOCK_THREAD_CPUTIME_ID); }
double process_cpu_s() { return cpu_s(CLOCK_PROCESS_CPUTIME_ID); }

namespace {

// The bench's certificates: copies of tests/data/pki (public test material, see its
// README; the private keys are published there). Built in so `ike-bench handshake
// --auth ecdsa` works from any directory and after installation. Each end entity was
// issued by the CA next to it.
constexpr const char* k_ca_p256_crt = R"PEM(-----BEGIN CERTIFICATE-----
MIIB3TCCAYOgAwIBAgIIJ12rayFrK/swCgYIKoZIzj0EAwIwQjELMAkGA1UEBhMC
Q0gxFDASBgNVBAoMC2lrZWtpdCB0ZXN0MR0wGwYDVQQDDBRpa2VraXQgUC0yNTYg
Um9vdCBDQTAeFw0yNjExMjIyMjAyMDlaFw00NjExMTcyMjAyMDlaMEIxCzAJBgNV
BAYTAkNIMRQwEgYDVQQKDAtpa2VraXQgdGVzdDEdMBsGA1UEAwwUaWtla2l0IFAt
MjU2IFJvb3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATDa3pe+VLPRhDF
CIvuEDbIEs7vzzVBgOO5TFG8MjDSJo0GuT9vMD2ENelcXGEbhxu24Q5+nUwE/qTF
3r2gA4yJo2MwYTAfBgNVHSMEGDAWgBQhhW8q2/mkPcUiGipvg9om09CgLDAPBgNV
HRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUIYVvKtv5pD3F
Ihoqb4PaJtPQoCwwCgYIKoZIzj0EAwIDSAAwRQIhAJ0NMk6xxnY2yWK0sUo9gVhE
7d4r4XYKqT1avisGtnrkAiAY/Eck1DdMq4hmILvnCu/KjV/BScSJPORrYfHQW+5l
Ig==
-----END CERTIFICATE-----
)PEM";
constexpr const char* k_ee_p256_crt = R"PEM(-----BEGIN CERTIFICATE-----
MIICPDCCAeOgAwIBAgIJAJNA9f4Wdok1MAoGCCqGSM49BAMCMEIxCzAJBgNVBAYT
AkNIMRQwEgYDVQQKDAtpa2VraXQgdGVzdDEdMBsGA1UEAwwUaWtla2l0IFAtMjU2
IFJvb3QgQ0EwHhcNMjYxMTIyMjIwMjExWhcNMzYxMTE5MjIwMjExWjA9MQswCQYD
VQQGEwJDSDEUMBIGA1UECgwLaWtla2l0IHRlc3QxGDAWBgNVBAMMD3N1bi5pa2Vr
aXQudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNPf30wgl+DJ/wPfh/95
ziBduIqH0SeP07q8nmgLiP682bvJNWsYa/oX40Wk2A5a3+xl4ouo2GPhZZdiX0k5
sX2jgcYwgcMwHwYDVR0jBBgwFoAUIYVvKtv5pD3FIhoqb4PaJtPQoCwwHQYDVR0O
BBYEFGURuUn18ALKdhUB+oHZGgGaso+uMAkGA1UdEwQCMAAwDgYDVR0PAQH/BAQD
AgeAMCcGA1UdJQQgMB4GCCsGAQUFBwMBBggrBgEFBQcDAgYIKwYBBQUHAxEwPQYD
VR0RBDYwNIIPc3VuLmlrZWtpdC50ZXN0hxAgAQ24AAAAAAAAAAAAAAABgQ9zdW5A
aWtla2l0LnRlc3QwCgYIKoZIzj0EAwIDRwAwRAIgY8ww3HcBbEasQ8+8NtI/mPSH
3HzVQjQy+chUwlJZ5rwCIGou7GmsY7YdC7OGULE5Qwe49JaPURcd6S1IdcHwj2Iz
-----END CERTIFICATE-----
)PEM";
constexpr const char* k_ee_p256_key = R"PEM(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3OWxZxGok/EbT5a0
rmH7HsppkISzoK84u0HCjcxmO1uhRANCAATT399MIJfgyf8D34f/ec4gXbiKh9En
j9O6vJ5oC4j+vNm7yTVrGGv6F+NFpNgOWt/sZeKLqNhj4WWXYl9JObF9
-----END PRIVATE KEY-----
)PEM";
constexpr const char* k_ca_rsa_crt = R"PEM(-----BEGIN CERTIFICATE-----
MIIDZTCCAk2gAwIBAgIIRh5MBSHzfCAwDQYJKoZIhvcNAQELBQAwQDELMAkGA1UE
BhMCQ0gxFDASBgNVBAoMC2lrZWtpdCB0ZXN0MRswGQYDVQQDDBJpa2VraXQgUlNB
IFJvb3QgQ0EwHhcNMjYxMTIyMjIwMjA5WhcNNDYxMTE3MjIwMjA5WjBAMQswCQYD
VQQGEwJDSDEUMBIGA1UECgwLaWtla2l0IHRlc3QxGzAZBgNVBAMMEmlrZWtpdCBS
U0EgUm9vdCBDQTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKooCzsK
rQdYj/CU6R+EFPvH3I8NaPphmxABYNmbKCN/5OFSR376DXZrCwCvKbuPBoxcYv9i
pvRchvxMB45S3GX63U38Rp0XSJDghhJFqnBd0gfzJHSDrS5/k9G/Bu8vJ3r9ckxZ
nfSKI9RQ/mzTwFm+v4+aKWuG1ATR/lAnKbZ5nUvljOivt4e1Ur9W1ZDyxyhXK3l6
WlZqZIcklKnWMq2PB7IpPypnkwxArmpa7JBADBbmo8w1lEiXSf7lrQjk9wAozVtD
p/NJfqb0LMh5ooj5r+3F8EOzkt83Bx8ePuKziDQKP2xpD7MKQhR7165lfPltVhkY
aEj1E1JQ7WS4NJ8CAwEAAaNjMGEwHwYDVR0jBBgwFoAU2nwW+egvt1MrYRuk/PHo
8GekwkgwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYE
FNp8FvnoL7dTK2EbpPzx6PBnpMJIMA0GCSqGSIb3DQEBCwUAA4IBAQCJ1hkJtoy5
xNv4F2elYMkneHbrwoKRs32GlvmzqBHH5xp3OOuoZm0kWbHxs9z2i6UtADwdMCPm
vaFXCEN7zz6KTbgl9icDCOZi42cguYQTzi7iKX4dl0vNTPPHYz54O+o3x7rDVkLw
1Iz07+2RjYPWlEssmVe2DkBIjUisSIhv/5NIsiwBrJaPkyfZ2atEX2EqEL4w42O/
QgIEE4uA2fHB23wqLRBD6BJkSQk4v81Fk165+mb5qGL3M3BhaLDGSajJwHm7oHiZ
7gmWwrO16zd0fGyXe54Amy0RZo1fB9kQBdkqVyUpgnWUXPmtQKZA5k/sE4871wQi
EJR5AyiwZv1L
-----END CERTIFICATE-----
)PEM";
constexpr const char* k_ee_rsa_crt = R"PEM(-----BEGIN CERTIFICATE-----
MIIDvTCCAqWgAwIBAgIIFCQyHZKbXKgwDQYJKoZIhvcNAQELBQAwQDELMAkGA1UE
BhMCQ0gxFDASBgNVBAoMC2lrZWtpdCB0ZXN0MRswGQYDVQQDDBJpa2VraXQgUlNB
IFJvb3QgQ0EwHhcNMjYxMTIyMjIwMjExWhcNMzYxMTE5MjIwMjExWjA+MQswCQYD
VQQGEwJDSDEUMBIGA1UECgwLaWtla2l0IHRlc3QxGTAXBgNVBAMMEG1vb24uaWtl
a2l0LnRlc3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCodwjqYmII
FYCfhuofgqY424hInR6ICEtu9ozX5frEtyoqSiy2xMU8KLAOfMppPcXsEiSmViNP
HAhWIUcO6VzUdICkUumIQE5lC9wSR5MK4h55yBMu8hI3SMdIrePWomNaLP8TG0JO
jmXAYEB3e23F1TDR9QUi5QMR9MLfNZOZpg2b+furAVjr2cMGJIRl7gpdo/5YwzCz
Mrwyu2mNjHheSJNgFf/+fGTFYwBtQDkdKCAqHJ5+AhhEmmCY7z0qch2iV9tW1s4M
Sab2F42eDOx6xOa+86WRnm3Taxh8drQRSpUqKxx6BZwsLJ3DzcaqHINMEquZMoLt
/ajKkRO9goUzAgMBAAGjgbwwgbkwHwYDVR0jBBgwFoAU2nwW+egvt1MrYRuk/PHo
8GekwkgwHQYDVR0OBBYEFF0hsN/PD4UvM8Of+43Cyfi1hT2MMAkGA1UdEwQCMAAw
DgYDVR0PAQH/BAQDAgeAMCcGA1UdJQQgMB4GCCsGAQUFBwMBBggrBgEFBQcDAgYI
KwYBBQUHAxEwMwYDVR0RBCwwKoIQbW9vbi5pa2VraXQudGVzdIcEwAACAYEQbW9v
bkBpa2VraXQudGVzdDANBgkqhkiG9w0BAQsFAAOCAQEAj55EV0YHx/OcnyKPy4aG
8FYo0PaA1ppqEcil1TTtwjUex1R5DY4mcZdWQLsS24Ep4QlliJcu03Wv47I4QTJp
gGdFmQ6NB34OFZimaTEsBHLQGinLgWOHJb6s+cO+lxkwB0IWWJHxK2Juh9VpDQFT
j9flDdPFw/tqC3PZIdLHt/rsmNIraOlmEf4zO2L6a4NU753NxOhxDv9bV1BVNmZ7
Fz9mqJcN1tJ+r2LT09fchuGwkqcFQNSbRW/h9CcP13x+GSzlJhhOpr3aVPg90Fhy
YW9G2E2Gm+BkMmKB4N9BQUVHXqx+1jtgxtch3zccL01Q1FIMQv9+heuAWdzIUwHW
Pg==
-----END CERTIFICATE-----
)PEM";
constexpr const char* k_ee_rsa_key = R"PEM(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCodwjqYmIIFYCf
huofgqY424hInR6ICEtu9ozX5frEtyoqSiy2xMU8KLAOfMppPcXsEiSmViNPHAhW
IUcO6VzUdICkUumIQE5lC9wSR5MK4h55yBMu8hI3SMdIrePWomNaLP8TG0JOjmXA
YEB3e23F1TDR9QUi5QMR9MLfNZOZpg2b+furAVjr2cMGJIRl7gpdo/5YwzCzMrwy
u2mNjHheSJNgFf/+fGTFYwBtQDkdKCAqHJ5+AhhEmmCY7z0qch2iV9tW1s4MSab2
F42eDOx6xOa+86WRnm3Taxh8drQRSpUqKxx6BZwsLJ3DzcaqHINMEquZMoLt/ajK
kRO9goUzAgMBAAECggEALAQ6EJ+XFJylqEjkeEo3Kyj1EV/4H7vnFb2WrDx7SpW/
DyClUTXVgPPymD5z1o6c3aMZ71oXTK664OI+Aj/oENzF1emR+hcvRIiWPjJ0UYYm
R1SG6p+2Mbqy0yMYIjb4tZGHLhNTvlnHbT3Y6j8WPfgHkvwtlOH4bOMiXZbOk3ja
P7iry6GCkNJxh711p81Kyipe7b8jV7yW4Wsx/PU+OjjWWrmERyHbEqVdlj/mkJBd
SG3HMFHAMZLwvfwZTFxLCtD9UEp9nJyrU9E4cYJM0Nh3FFphI7s6V3IojspeBRYC
I1dIr8YxyLNdCahg0g6L5Wy1tsgqyr6IfL2IWPTo8QKBgQDgk4itvtl9YB/rRXR6
s6RWNrUBCRrXHst83seiirs4isWFrUlm0AybTMtvv414H1xaZIRJ0KB1j5o+doHP
VrcxkdLH992y6n0H2gq2rev9tShM6fj5G1cUk62sRNXDd6uC/wNK5PVejJmNtfGn
irv7OZ3YeSR1pFavD2IEUUcKgwKBgQDACY69uSBEdiFWfYn2E+20ycECOl//PMf3
Th7bmkZIyCvVM12SEBfcmY7l5JxPFCmeCYr4kzRX/Q0TU9Ff21DndU5ksEC5+BOX
UhoYtywSv1fn4dwCylaYxRS1oY892yPoYo4CrYvTZ1RdjFrY7qnuKPottWycZHm9
fDaWHANbkQKBgG5UbPCW83ih8ex/CdOCT/k/FTu2AmavLV9if4d+Sq5jltiuooIN
MjRVzRhQbisWlSOfgFJXWY2ICEoppGp9erCyqHAveM5+XwCtgVfwKCFTj8IBrJyN
bwGf79HTW4WVVECeEjsIMvfJcWLqgRdDlEi/LKn+EghtvVxx3UCrwZALAoGAWyZu
NUlgsn4rtsThrgaphm1ZCniwxhKQi6bt6KhigftZKto1qLWwzcmpVR9cvgBA/L1k
1DXy22zGPw1CzS/pR+ObMRmjr2G70tBqiJ6w8bkWvX6sEjr+PYcWHFwyBFc2xP+6
jjTXsKFUHw8Ws+8cg2m5zeZWRik+y5zgwAFN6rECgYEAi9z6u2whLUPQ/wimJiQd
vpbPvjmYINnbN/edDBmSMfovGYptQ6aQoCnkYZ1zjwMMxnuNayyfikopx3j0L+2Z
HCFdDalliQB/5ubsa81kU41czPWUNoCpcE2JHvgblFvaEU8eE68qhpOL6HA6SWj3
XA9xhODAXE/7+ZzZP2ttPEo=
-----END PRIVATE KEY-----
)PEM";
constexpr const char* k_ca_ed25519_crt = R"PEM(-----BEGIN CERTIFICATE-----
MIIBoTCCAVOgAwIBAgIIKjFQ0dqc0nYwBQYDK2VwMEQxCzAJBgNVBAYTAkNIMRQw
EgYDVQQKDAtpa2VraXQgdGVzdDEfMB0GA1UEAwwWaWtla2l0IEVkMjU1MTkgUm9v
dCBDQTAeFw0yNjExMjIyMjAyMDlaFw00NjExMTcyMjAyMDlaMEQxCzAJBgNVBAYT
AkNIMRQwEgYDVQQKDAtpa2VraXQgdGVzdDEfMB0GA1UEAwwWaWtla2l0IEVkMjU1
MTkgUm9vdCBDQTAqMAUGAytlcAMhAIkcy5nTyQ6VsSMYoQ6Wy1N32GX3K2pHyV34
T/hwEjxeo2MwYTAfBgNVHSMEGDAWgBSfBMyr9IdBsxUegDFuzdU2Mdu4RzAPBgNV
HRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUnwTMq/SHQbMV
HoAxbs3VNjHbuEcwBQYDK2VwA0EApCexifCieLDbbWhcN7XZ7FyV+gVzVM1JtVFJ
S/PYP9f3S++gBAIEVKupmev6iyHQ0Aok8HdDHbvI+CvlYnCKAg==
-----END CERTIFICATE-----
)PEM";
constexpr const char* k_ee_ed25519_crt = R"PEM(-----BEGIN CERTIFICATE-----
MIIB5DCCAZagAwIBAgIJAOcFFRb8eneUMAUGAytlcDBEMQswCQYDVQQGEwJDSDEU
MBIGA1UECgwLaWtla2l0IHRlc3QxHzAdBgNVBAMMFmlrZWtpdCBFZDI1NTE5IFJv
b3QgQ0EwHhcNMjYxMTIyMjIwMjEyWhcNMzYxMTE5MjIwMjEyWjA+MQswCQYDVQQG
EwJDSDEUMBIGA1UECgwLaWtla2l0IHRlc3QxGTAXBgNVBAMMEGRhdmUuaWtla2l0
LnRlc3QwKjAFBgMrZXADIQAg+Ct7wMLvxWr0uz6ssAQJQYkDvHLa+evvF7Ucyrb5
aKOBqjCBpzAfBgNVHSMEGDAWgBSfBMyr9IdBsxUegDFuzdU2Mdu4RzAdBgNVHQ4E
FgQUgP2XbOciJhFBLpJB7+DwiegG8oUwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMC
B4AwJwYDVR0lBCAwHgYIKwYBBQUHAwEGCCsGAQUFBwMCBggrBgEFBQcDETAhBgNV
HREEGjAYghBkYXZlLmlrZWtpdC50ZXN0hwTAAAIEMAUGAytlcANBAPRHlRtJdsW5
5Zstou2/BW68UpbDI8d/JW41v+DyUq3d7fbuVIWlEqWMXeLV4ssqWiNO0BdkI/Ap
C7ovN3tZ+ww=
-----END CERTIFICATE-----
)PEM";
constexpr const char* k_ee_ed25519_key = R"PEM(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJbepI2PXsUQt22l6Jt0f4wmgM6MbX+3+sZWncwyk/R3
-----END PRIVATE KEY-----
)PEM";

struct BenchPki {
  const char* ca;
  const char* cert;
  const char* key;
  const char* id; // a dNSName SAN of the end entity
  const char* label;
};

BenchPki pki_for(HandshakeAuth a) {
  switch (a) {
  case HandshakeAuth::rsa:
    return {k_ca_rsa_crt, k_ee_rsa_crt, k_ee_rsa_key, "moon.ikekit.test", "rsa-2048"};
  case HandshakeAuth::ed25519:
    return {k_ca_ed25519_crt, k_ee_ed25519_crt, k_ee_ed25519_key, "dave.ikekit.test", "ed25519"};
  case HandshakeAuth::ecdsa:
  case HandshakeAuth::psk:
    break;
  }
  return {k_ca_p256_crt, k_ee_p256_crt, k_ee_p256_key, "sun.ikekit.test", "ecdsa-p256"};
}

// Not a secret: both ends of the handshake are this process.
constexpr std::string_view kBenchPsk = "ike-bench in-process psk 0123456";

ike::PeerConfig base_peer(const char* name, const char* local, const char* remote,
                          const std::vector<crypto::ParsedProposal>& ike,
                          const std::vector<crypto::ParsedProposal>& esp) {
  ike::PeerConfig p;
  p.name = name;
  p.local = ike::Endpoint{*IpAddress::parse(local), 500};
  p.remote_address = *IpAddress::parse(remote);
  p.ike_proposals = ike;
  p.child.esp_proposals = esp;
  p.send_initial_contact = false;
  return p;
}

Result<void> add_cert_auth(ike::PeerConfig& p, const BenchPki& pki,
                           const std::shared_ptr<const crypto::PrivateKey>& key,
                           const crypto::Certificate& ee,
                           const std::shared_ptr<const crypto::CertStore>& cas) {
  p.local_auth = p.remote_auth = ike::AuthMethodKind::pubkey;
  auto id = ike::Identity::parse(pki.id);
  if (!id) return id.error();
  p.local_id = *id;
  p.remote_id.reset(); // any identity the chain proves
  p.private_key = key;
  p.local_certs = {ee};
  p.cas = cas;
  return {};
}

} // namespace

Result<PairConfig> make_pair_config(const HandshakeOptions& opts) {
  auto ike = ike::parse_ike_proposals(opts.ike_proposal);
  if (!ike) return make_error(Errc::usage, "--ike-proposal", ike.error().message);
  auto esp = ike::parse_esp_proposals(opts.esp_proposal);
  if (!esp) return make_error(Errc::usage, "--esp-proposal", esp.error().message);
  if (ike->empty() || ike->front().ke.empty())
    return make_error(Errc::usage, "--ike-proposal",
                      "\"" + opts.ike_proposal + "\": needs a key exchange group, e.g. x25519");

  PairConfig pc;
  pc.connection = "bench";
  pc.ke = ike->front().ke.front();
  ike::PeerConfig i = base_peer("bench", "10.0.0.1", "10.0.0.2", *ike, *esp);
  ike::PeerConfig r = base_peer("bench-gw", "10.0.0.2", "10.0.0.1", *ike, *esp);
  if (opts.auth == HandshakeAuth::psk) {
    pc.auth = "psk";
    i.local_id = *ike::Identity::parse("10.0.0.1");
    r.local_id = *ike::Identity::parse("10.0.0.2");
    i.remote_id = r.local_id;
    r.remote_id = i.local_id;
    i.psk = r.psk = SecretBytes(as_bytes(kBenchPsk));
  } else {
    BenchPki pki = pki_for(opts.auth);
    pc.auth = pki.label;
    auto bad = [&](const Error& e) {
      return make_error(Errc::unsupported, "--auth",
                        std::string("the built-in ") + pki.label + " certificate: " + e.message);
    };
    auto ca = crypto::Certificate::from_pem(pki.ca);
    if (!ca) return bad(ca.error());
    auto ee = crypto::Certificate::from_pem(pki.cert);
    if (!ee) return bad(ee.error());
    auto key = crypto::PrivateKey::load_pem(pki.key);
    if (!key) return bad(key.error());
    auto store = std::make_shared<crypto::CertStore>();
    if (auto ok = store->add_trust_anchor(*ca); !ok) return bad(ok.error());
    auto shared_key = std::make_shared<const crypto::PrivateKey>(std::move(*key));
    std::shared_ptr<const crypto::CertStore> cas = store;
    if (auto ok = add_cert_auth(i, pki, shared_key, *ee, cas); !ok) return bad(ok.error());
    if (auto ok = add_cert_auth(r, pki, shared_key, *ee, cas); !ok) return bad(ok.error());
    // Engine time -> wall clock: 30 days after notBefore, whatever the date is.
    auto wall = std::chrono::seconds(ee->not_before_time()) + std::chrono::hours(24 * 30);
    pc.initiator.wall_clock_offset = pc.responder.wall_clock_offset =
        std::chrono::duration_cast<Duration>(wall) - steady_now().time_since_epoch();
  }
  pc.initiator.peers.push_back(std::move(i));
  pc.responder.peers.push_back(std::move(r));
  pc.responder.cookie_threshold = std::numeric_limits<size_t>::max();
  pc.responder.half_open_limit = pc.responder.half_open_limit_per_ip = 0; // no limit
  return pc;
}

EnginePair::EnginePair(const PairConfig& cfg, Rng& rng, TimePoint now) : cfg_(&cfg) {
  net_.now = now;
  net_.latency = Duration::zero();
  net_.cpu_clock = thread_cpu_s;
  initiator_ = &net_.add("initiator", "10.0.0.1", cfg.initiator, rng);
  responder_ = &net_.add("responder", "10.0.0.2", cfg.responder, rng);
  initiator_->on_event = [this](ike::Event&& e) {
    if (auto* up = std::get_if<ike::ChildSaUp>(&e))
      events_.push_back({PairEventKind::child_sa_up, up->sa});
    else if (auto* f = std::get_if<ike::Failure>(&e))
      events_.push_back({PairEventKind::failure, f->sa});
    else if (auto* d = std::get_if<ike::IkeSaDown>(&e))
      events_.push_back({PairEventKind::ike_sa_down, d->sa});
  };
  responder_->on_event = [this](ike::Event&& e) {
    if (std::holds_alternative<ike::ChildSaUp>(e))
      ++responder_child_sas_;
    else if (std::holds_alternative<ike::Failure>(e))
      ++responder_failures_;
  };
}

void EnginePair::reset(TimePoint now) {
  net_.now = std::max(net_.now, now);
  net_.flight.clear(); // what the old engines still had to say
  initiator_->engine.reset();
  responder_->engine.reset();
  net_.restart(*initiator_, cfg_->initiator);
  net_.restart(*responder_, cfg_->responder);
  events_.clear();
}

Result<ike::SaId> EnginePair::initiate(TimePoint now) {
  double c0 = thread_cpu_s();
  auto id = initiator_->engine->initiate(cfg_->connection, now);
  initiator_->cpu_s += thread_cpu_s() - c0;
  return id;
}

bool EnginePair::pump(TimePoint now) {
  events_.clear();
  return net_.pump(now);
}

PairCounters EnginePair::counters() const {
  PairCounters c;
  c.datagrams_i2r = initiator_->datagrams_sent;
  c.datagrams_r2i = responder_->datagrams_sent;
  c.bytes_i2r = initiator_->bytes_sent;
  c.bytes_r2i = responder_->bytes_sent;
  c.cpu_s_initiator = initiator_->cpu_s;
  c.cpu_s_responder = responder_->cpu_s;
  c.responder_failures = responder_failures_;
  c.responder_child_sas = responder_child_sas_;
  return c;
}

} // namespace ikekit::bench
