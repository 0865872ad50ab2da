#!/bin/bash
# live_charon_log.sh IKE_DECODE GROUP INDEX
#
# ike-decode takes its keys straight from charon's debug log (issue 19). One strongSwan
# pair in two namespaces runs the scenarios of GROUP one after the other, as a user
# would: a capture on the left gateway and the left charon's own filelog, configured the
# way strongswan.conf users do it (time stamps, no IKE SA names, every group at level 1
# and "ike 4, chd 4", so key dumps interleave with other threads' lines). Then
#   ike-decode --keys charon-debug.log capture.pcap
# must decrypt every IKE message and ESP packet, report no unmatched key block, and
# agree with tshark given the equivalent Wireshark tables (--emit-wireshark; tshark
# decrypts with them on its own). Groups:
#   psk   PSK: aes256gcm16 with a Child SA rekey and an IKE SA rekey; AES-CCM and AES-GCM
#         with each ICV size (8, 12, 16) for IKE and for ESP, aes256ctr-sha256 and
#         3des-sha1 (CCM and 3DES are decode-only transforms; tshark 4.0 has no AES-CCM
#         for ESP, so those packets are checked by ike-decode alone)
#   cert  RSA certificates, IKE_AUTH fragmented (RFC 7383); then EAP-MSCHAPv2 with a
#         virtual IP from the responder's pool
# INDEX picks the namespace prefix and /16 so groups run in parallel.
# Exit 0 ok, 1 failure, 77 skip (not root, strongSwan/tshark/EAP plugin missing).
set -u
bin=$1 group=$2 index=$3
here=$(cd "$(dirname "$0")" && pwd)
interop=$here/../interop
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for tool in charon-systemd swanctl tshark dumpcap pki; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "SKIP: $tool is not installed (scripts/install-deps.sh test)"; exit 77; }
done
if [ "$group" = cert ] && [ ! -e /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ]; then
  echo "SKIP: eap-mschapv2 plugin missing (apt-get install libcharon-extauth-plugins)"; exit 77
fi
ip netns add "ikcl-probe-$$" 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip netns del "ikcl-probe-$$"

export NS_PREFIX="ikcl$index" IA_NET="10.$((180 + index))"
# shellcheck source=../interop/lib/netns.sh
. "$interop/lib/netns.sh"
# shellcheck source=../interop/lib/swan.sh
. "$interop/lib/swan.sh"
# shellcheck source=../interop/lib/pki.sh
. "$interop/lib/pki.sh"

WORK=$(mktemp -d /tmp/ikekit-charon-log.XXXXXX)
L=$WORK/left R=$WORK/right
DUMPCAP_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$DUMPCAP_PID" ] && kill -TERM "$DUMPCAP_PID" 2>/dev/null && wait "$DUMPCAP_PID" 2>/dev/null
  swan_stop "$L"
  swan_stop "$R"
  netns_down
  if [ $rc != 0 ]; then
    echo "live_charon_log: work directory kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "FAIL: $*" >&2; exit 1; }

# The harness's strongswan.conf (its plugin list has CCM, CTR and EAP-MSCHAPv2); with
# DEBUG_LOG, also the user's way of logging: a filelog with time stamps and the default level for every group, ike and
# chd at 4 (charondebug="ike 4, chd 4" in ipsec.conf terms), no IKE SA names.
our_conf() { # our_conf DIR [DEBUG_LOG]
  local d=$1
  swan_conf "$d" || return 1
  python3 - "$d/strongswan.conf" "${2:-}" <<'EOF'
import sys
conf, path = sys.argv[1], sys.argv[2]
text = open(conf).read()
if path:
    section = ("    filelog {\n        debug {\n            path = %s\n            time_format = %%b %%e %%T\n"
               "            append = no\n            flush_line = yes\n            default = 1\n"
               "            ike = 4\n            chd = 4\n        }\n" % path)
    assert "    filelog {\n" in text, "no filelog section in the harness's strongswan.conf"
    text = text.replace("    filelog {\n", section, 1)
open(conf, "w").write(text)
EOF
}

psk_conf() { # psk_conf SIDE FILE
  local side=$1 me peer my_ip peer_ip my_net peer_net
  if [ "$side" = left ]; then
    me=left peer=right my_ip=$IA_NET.0.1 peer_ip=$IA_NET.0.2 my_net=$IA_NET.1.0/24 peer_net=$IA_NET.2.0/24
  else
    me=right peer=left my_ip=$IA_NET.0.2 peer_ip=$IA_NET.0.1 my_net=$IA_NET.2.0/24 peer_net=$IA_NET.1.0/24
  fi
  echo "connections {"
  # left: one connection per transform set; right: one that accepts them all
  local sets
  if [ "$side" = left ]; then
    sets="gcm:aes256gcm16-prfsha256-ecp256:aes256gcm16 ccm:aes128ccm12-prfsha256-ecp256:aes128ccm12
          ccm8:aes256ccm8-prfsha256-ecp256:aes192ccm16 ccm16:aes192ccm16-prfsha256-ecp256:aes256ccm8
          gcm8:aes128gcm8-prfsha256-ecp256:aes256gcm12 gcm12:aes256gcm12-prfsha256-ecp256:aes128gcm8
          ctr:aes256ctr-sha256-ecp256:aes256ctr-sha256 tdes:3des-sha1-modp2048:3des-sha1"
  else
    local ike esp
    ike=aes256gcm16-prfsha256-ecp256,aes128ccm12-prfsha256-ecp256,aes256ccm8-prfsha256-ecp256
    ike=$ike,aes192ccm16-prfsha256-ecp256,aes128gcm8-prfsha256-ecp256,aes256gcm12-prfsha256-ecp256
    ike=$ike,aes256ctr-sha256-ecp256,3des-sha1-modp2048
    esp=aes256gcm16,aes128ccm12,aes192ccm16,aes256ccm8,aes256gcm12,aes128gcm8,aes256ctr-sha256,3des-sha1
    sets="ia:$ike:$esp"
  fi
  for s in $sets; do
    IFS=: read -r name ike esp <<<"$s"
    cat <<CONF
  $name {
    version = 2
    local_addrs = $my_ip
    remote_addrs = $peer_ip
    proposals = $ike
    unique = never
    mobike = no
    local { auth = psk
            id = $me@ia.test }
    remote { auth = psk
             id = $peer@ia.test }
    children {
      net-$name {
        local_ts = $my_net
        remote_ts = $peer_net
        esp_proposals = $esp
      }
    }
  }
CONF
  done
  echo "}"
  printf 'secrets {\n  ike-ia {\n    id-1 = left@ia.test\n    id-2 = right@ia.test\n    secret = "ikekit-charon-log-psk-0123456789"\n  }\n}\n'
}

cert_conf() { # cert_conf SIDE: RSA certificates (fragmented IKE_AUTH), and EAP-MSCHAPv2 + vip
  local side=$1
  if [ "$side" = left ]; then
    cat <<CONF
connections {
  cert {
    version = 2
    local_addrs = $IA_NET.0.1
    remote_addrs = $IA_NET.0.2
    proposals = aes256gcm16-prfsha256-ecp256
    fragmentation = yes
    mobike = no
    local { auth = pubkey
            certs = left-rsa.crt
            id = left.ia.test }
    remote { auth = pubkey
             id = right.ia.test }
    children { net-cert { local_ts = $IA_NET.1.0/24
                          remote_ts = $IA_NET.2.0/24
                          esp_proposals = aes256gcm16 } }
  }
  eap {
    version = 2
    local_addrs = $IA_NET.0.1
    remote_addrs = $IA_NET.0.2
    proposals = aes128-sha256-ecp256
    fragmentation = yes
    mobike = no
    vips = 0.0.0.0
    local { auth = eap-mschapv2
            id = alice@ia.test
            eap_id = alice }
    remote { auth = pubkey
             id = right.ia.test }
    children { net-eap { remote_ts = $IA_NET.2.0/24
                         esp_proposals = aes128-sha256 } }
  }
}
secrets { eap-alice { id = alice
                      secret = "alice-mschapv2-password" } }
CONF
  else
    cat <<CONF
connections {
  cert {
    version = 2
    local_addrs = $IA_NET.0.2
    remote_addrs = $IA_NET.0.1
    proposals = aes256gcm16-prfsha256-ecp256,aes128-sha256-ecp256
    fragmentation = yes
    mobike = no
    unique = never
    local { auth = pubkey
            certs = right-rsa.crt
            id = right.ia.test }
    remote { auth = pubkey
             id = left.ia.test }
    children { net-cert { local_ts = $IA_NET.2.0/24
                          remote_ts = $IA_NET.1.0/24
                          esp_proposals = aes256gcm16 } }
  }
  eap {
    version = 2
    local_addrs = $IA_NET.0.2
    remote_addrs = $IA_NET.0.1
    proposals = aes256gcm16-prfsha256-ecp256,aes128-sha256-ecp256
    fragmentation = yes
    mobike = no
    unique = never
    send_cert = always
    pools = rw
    local { auth = pubkey
            certs = right-rsa.crt
            id = right.ia.test }
    remote { auth = eap-mschapv2
             id = %any
             eap_id = %any }
    children { net-eap { local_ts = $IA_NET.2.0/24
                         esp_proposals = aes128-sha256 } }
  }
}
pools { rw { addrs = $IA_NET.3.0/28 } }
secrets { eap-alice { id = alice
                      secret = "alice-mschapv2-password" } }
CONF
  fi
}

ping_tunnel() { # through the tunnel; with a virtual IP the route (table 220) picks the source
  if [ "${1:-}" = vip ]; then
    nsx "$NS_LEFT" ping -q -n -c 3 -i 0.2 -W 2 "$IA_NET.2.1" >/dev/null
  else
    nsx "$NS_LEFT" ping -q -n -c 3 -i 0.2 -W 2 -I "$IA_NET.1.1" "$IA_NET.2.1" >/dev/null
  fi
}

established() { # established COUNT PATTERN: wait until the log shows COUNT lines matching
  local i
  for i in $(seq 1 100); do
    [ "$(grep -c "$2" "$L/charon-debug.log")" -ge "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

run_psk() {
  swan_ctl "$L" --initiate --child net-gcm --timeout 10 >"$WORK/init.log" 2>&1 || die "initiate gcm: $(cat "$WORK/init.log")"
  ping_tunnel || die "pings (gcm)"
  swan_ctl "$L" --rekey --child net-gcm >/dev/null 2>&1 || die "child rekey"
  established 2 'CHILD_SA net-gcm{[0-9]*} established' || die "Child SA rekey did not complete"
  swan_ctl "$L" --rekey --ike gcm >/dev/null 2>&1 || die "IKE rekey"
  established 2 'IKE_SA gcm\[[0-9]*\] rekeyed\|IKE_SA gcm\[[0-9]*\] established' || true
  sleep 0.5
  ping_tunnel || die "pings after the rekeys"
  swan_ctl "$L" --terminate --ike gcm --timeout 10 >/dev/null 2>&1 || die "terminate gcm"
  for c in ccm ccm8 ccm16 gcm8 gcm12 ctr tdes; do
    swan_ctl "$L" --initiate --child "net-$c" --timeout 10 >"$WORK/init.log" 2>&1 || die "initiate $c: $(cat "$WORK/init.log")"
    ping_tunnel || die "pings ($c)"
    swan_ctl "$L" --terminate --ike "$c" --timeout 10 >/dev/null 2>&1 || die "terminate $c"
  done
}

run_cert() {
  swan_ctl "$L" --initiate --child net-cert --timeout 10 >"$WORK/init.log" 2>&1 || die "initiate cert: $(cat "$WORK/init.log")"
  ping_tunnel || die "pings (cert)"
  swan_ctl "$L" --terminate --ike cert --timeout 10 >/dev/null 2>&1 || die "terminate cert"
  swan_ctl "$L" --initiate --child net-eap --timeout 10 >"$WORK/init.log" 2>&1 || die "initiate eap: $(cat "$WORK/init.log")"
  grep -q "installing new virtual IP $IA_NET.3." "$L/charon-debug.log" || die "no virtual IP from the pool"
  ping_tunnel vip || die "pings (eap, virtual IP)"
  swan_ctl "$L" --terminate --ike eap --timeout 10 >/dev/null 2>&1 || die "terminate eap"
}

netns_up || die "namespace setup failed"
mkdir -p "$L/swanctl" "$R/swanctl"
if [ "$group" = cert ]; then
  pki_make "$WORK/pki" rsa >/dev/null || die "PKI generation failed"
  for s in left right; do
    mkdir -p "$WORK/$s/swanctl/x509" "$WORK/$s/swanctl/x509ca" "$WORK/$s/swanctl/private"
    cp "$WORK/pki/ca-rsa.crt" "$WORK/$s/swanctl/x509ca/"
    cp "$WORK/pki/$s-rsa.crt" "$WORK/$s/swanctl/x509/"
    cp "$WORK/pki/$s-rsa.key" "$WORK/$s/swanctl/private/"
  done
  cert_conf left >"$WORK/left.conf"
  cert_conf right >"$WORK/right.conf"
else
  psk_conf left >"$WORK/left.conf"
  psk_conf right >"$WORK/right.conf"
fi
our_conf "$L" "$L/charon-debug.log" || die "strongswan.conf (left)"
our_conf "$R" || die "strongswan.conf (right)"
swan_start "$NS_RIGHT" "$R" "$WORK/right.conf" || die "right charon failed to start"
swan_start "$NS_LEFT" "$L" "$WORK/left.conf" || die "left charon failed to start"

ip netns exec "$NS_LEFT" dumpcap -q -P -i "$NS_PREFIX-l0" -f 'udp port 500 or udp port 4500 or esp' \
  -w "$WORK/capture.pcap" 2>"$WORK/dumpcap.log" &
DUMPCAP_PID=$!
for i in $(seq 1 50); do [ -s "$WORK/capture.pcap" ] && break; sleep 0.1; done
[ -s "$WORK/capture.pcap" ] || die "dumpcap did not start: $(cat "$WORK/dumpcap.log")"
sleep 0.3

case $group in
  psk) run_psk ;;
  cert) run_cert ;;
  *) die "unknown group $group" ;;
esac
sleep 0.3
kill -TERM "$DUMPCAP_PID" 2>/dev/null; wait "$DUMPCAP_PID" 2>/dev/null; DUMPCAP_PID=
swan_stop "$L"

# The decode from the log alone, and the Wireshark tables of what it found.
"$bin" --keys "$L/charon-debug.log" --emit-wireshark "$WORK/ws" "$WORK/capture.pcap" \
  >"$WORK/decode.jsonl" 2>"$WORK/decode.err"
rc=$?
[ $rc = 0 ] || { cat "$WORK/decode.err" >&2; die "ike-decode exited $rc"; }
python3 - "$WORK/decode.jsonl" "$group" <<'EOF' || die "decode checks"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
group = sys.argv[2]
s = lines[-1]
problems = []
ike = [l for l in lines if l["type"] == "ike"]
esp = [l for l in lines if l["type"] == "esp"]
sk = [l for l in ike if l["payloads"] and l["payloads"][-1]["payload_type"] in (46, 53)]
for l in sk:
    p = l["payloads"][-1]
    if not (p["decrypted"] and p["integrity"] == "ok"):
        problems.append(f"frame {l['frame']}: SK/SKF not decrypted: {p['problem']}")
for l in esp:
    if not (l["decrypted"] and l["integrity"] == "ok"):
        problems.append(f"frame {l['frame']}: ESP {l['spi']} not decrypted: {l['problem']}")
for l in lines:
    if l["type"] == "unmatched_keys":
        problems.append(f"unmatched key block: {l}")
hdr = lines[0]["key_files"][0]
if hdr["format"] != "strongswan_charon_log" or hdr["problems"]:
    problems.append(f"header key file: {hdr}")
ikes = {(l["spi_i"], l["spi_r"]) for l in ike if l["spi_r"] != "0" * 16}
exchanges = {l["exchange"] for l in ike}
want = {"psk": (5, {"IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "INFORMATIONAL"}),
        "cert": (2, {"IKE_SA_INIT", "IKE_AUTH", "INFORMATIONAL"})}[group]
if len(ikes) < want[0]:
    problems.append(f"{len(ikes)} IKE SAs in the capture, expected {want[0]}")
if not want[1] <= exchanges:
    problems.append(f"exchanges {exchanges}, expected {want[1]}")
if group == "cert" and not any(l["payloads"][-1]["payload_type"] == 53 for l in sk):
    problems.append("no IKE fragments (SKF) in the capture")
if group == "cert":
    inner = [p for l in sk for p in (l["payloads"][-1].get("payloads") or [])]
    if not any(p["payload_type"] == 48 for p in inner):
        problems.append("no EAP payload decrypted")
    if not any(p["payload_type"] == 47 for p in inner):
        problems.append("no configuration payload (virtual IP) decrypted")
if s["decrypted"] != len(sk) + len(esp) or s["undecryptable"] or s["malformed"]:
    problems.append(f"summary {s}")
for p in problems:
    print("live_charon_log: " + p, file=sys.stderr)
print(f"live_charon_log: {len(sk)} SK/SKF, {len(esp)} ESP, {len(ikes)} IKE SAs decoded from the log")
sys.exit(1 if problems else 0)
EOF

# tshark with the same keys: ESP SAs Wireshark cannot decrypt (AES-CCM) were left out of
# the tables; every other SK/SKF payload and ESP packet tshark must decrypt too.
skip=()
while read -r spi; do skip+=(--tshark-skip-spi "$spi"); done < <(
  sed -n 's/.*left out ESP SA \([0-9a-f]*\): Wireshark cannot decrypt.*/\1/p' "$WORK/decode.err")
python3 "$here/agree_with_tshark.py" "$bin" "$WORK/capture.pcap" "$WORK/ws" \
  --keys "$L/charon-debug.log" --all-decrypted --tshark-decrypted "${skip[@]}" ||
  die "ike-decode and tshark disagree"
echo "live_charon_log: $group ok"
