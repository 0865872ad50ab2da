#!/bin/bash
# ike_up_vs_swan.sh IKE_UP SCENARIO DIRECTION INDEX [REKEY]
# ike-up against a real strongSwan (charon-systemd, userspace ESP) in two network
# namespaces: ike-up on the left gateway (IA_NET.0.1), strongSwan on the right
# (IA_NET.0.2). DIRECTION is ike-up-initiates or swan-initiates.
#   Positive scenarios: the Child SA comes up; ike-up's events and strongSwan's
#   `swanctl --list-sas` agree on state, IKE and ESP SPIs and algorithms; then the
#   side that did not initiate deletes the IKE SA and the other side sees it go.
#   mismatch-proposal / wrong-psk: ike-up (initiator) prints a failure event with
#   the evidence and exits 1.
#   REKEY (optional): child-by-swan, child-by-ike-up, ike-by-swan or ike-by-ike-up:
#   after the SAs are up, that side rekeys the Child SA or the IKE SA (CREATE_CHILD_SA);
#   both sides must then agree on the new SPIs, and the capture still decodes fully.
# INDEX picks the namespace prefix and /16 so tests run in parallel.
# IKE_UP_EXTRA (environment): more ike-up flags, e.g. --no-offload. OUTER=6: IKE and
# ESP over IPv6 outer addresses.
# Exit 0 pass, 1 fail (reason on stderr, logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 SCEN=$2 DIR=$3 IDX=$4 REKEY=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PSK="ikekit-interop-psk-0123456789abcdef"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in swanctl python3 ip; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
[ -x /usr/sbin/charon-systemd ] || { echo "SKIP: charon-systemd missing (scripts/install-deps.sh test)"; exit 77; }

export NS_PREFIX="ikup$IDX" IA_NET="10.$((160 + IDX))"
. "$HERE/lib/netns.sh"
. "$HERE/lib/swan.sh"
. "$HERE/lib/pki.sh"

AUTH=psk
SWAN_IKE=aes256gcm16-prfsha256-ecp256 SWAN_ESP=aes256gcm16
case $SCEN in
  psk-aes256gcm16-ecp256) ;;
  psk-aes128-sha256-modp2048) SWAN_IKE=aes128-sha256-modp2048 SWAN_ESP=aes128-sha256 ;;
  psk-chacha20-x25519) SWAN_IKE=chacha20poly1305-prfsha256-x25519 SWAN_ESP=chacha20poly1305 ;;
  psk-aes256-sha384-ecp384) SWAN_IKE=aes256-sha384-ecp384 SWAN_ESP=aes256-sha384 ;;
  ecdsa-*) AUTH=ecdsa ;;
  rsa-*) AUTH=rsa ;;
  ed25519-*) AUTH=ed25519 ;;
  mismatch-proposal|wrong-psk) ;;
  *) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac
UP_IKE=$SWAN_IKE UP_ESP=$SWAN_ESP UP_PSK=$PSK
[ "$SCEN" = mismatch-proposal ] && UP_IKE=aes128-sha256-modp2048
[ "$SCEN" = wrong-psk ] && UP_PSK="not-the-right-psk-0123456789"

W=$(mktemp -d /tmp/ikekit-ikeup.XXXXXX)
UP_PID=
DUMPCAP_PID=
IKE_DECODE=$(dirname "$IKE_UP")/ike-decode
fail() { echo "FAIL ($SCEN $DIR): $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  trap - EXIT
  [ -n "$UP_PID" ] && kill -TERM "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null
  [ -n "$DUMPCAP_PID" ] && kill -TERM "$DUMPCAP_PID" 2>/dev/null && wait "$DUMPCAP_PID" 2>/dev/null
  for p in ${IPERF_PID:-} ${IPERF_SERVER_PID:-}; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  swan_stop "$W/right"
  netns_down
  if [ $rc -ne 0 ]; then
    echo "--- ike-up events"; cat "$W/events.jsonl" 2>/dev/null
    echo "--- ike-up stderr"; tail -20 "$W/ike-up.err" 2>/dev/null
    echo "--- charon log"; tail -40 "$W/right/charon.log" 2>/dev/null
    [ -n "${KEEP_DIR:-}" ] && cp -a "$W" "$KEEP_DIR"
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A Child SA rekey runs with inner hosts behind both gateways (IA_NET.1.2, IA_NET.2.2):
# ping and a TCP stream go host to host, forwarded by the gateways through the tunnel.
INNER=
case $REKEY in child-*) INNER=--inner ;; esac
netns_up $INNER || fail "namespace setup"
L=$IA_NET.0.1 R=$IA_NET.0.2
if [ "${OUTER:-4}" = 6 ]; then
  # IKE and ESP over IPv6 (the inner traffic stays IPv4): the gateways' veth gets
  # fd00:<INDEX>::1 and ::2 instead.
  L=fd00:$IDX::1 R=fd00:$IDX::2
  for side in "$NS_LEFT l0 $L" "$NS_RIGHT r0 $R"; do
    set -- $side
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$NS_PREFIX-$2.disable_ipv6=0"
    ip -n "$1" addr add "$3/64" dev "$NS_PREFIX-$2" nodad || fail "IPv6 address $3"
  done
  for _ in $(seq 20); do ip netns exec "$NS_LEFT" ping -c1 -W1 "$R" >/dev/null 2>&1 && break; sleep 0.2; done
fi

# strongSwan, the right side.
mkdir -p "$W/right/swanctl/x509" "$W/right/swanctl/x509ca" "$W/right/swanctl/private"
UP_AUTH=(--psk-file "$W/psk" --local-id left@ia.test --remote-id right@ia.test)
printf '%s\n' "$UP_PSK" > "$W/psk"
chmod 600 "$W/psk" # ike-up refuses a PSK others may read
if [ $AUTH = psk ]; then
  swan_local="local { auth = psk
      id = right@ia.test }"
  swan_remote="remote { auth = psk
      id = left@ia.test }"
else
  pki_make "$W/pki" $AUTH >/dev/null || fail "PKI"
  cp "$W/pki/ca-$AUTH.crt" "$W/right/swanctl/x509ca/"
  cp "$W/pki/right-$AUTH.crt" "$W/right/swanctl/x509/"
  cp "$W/pki/right-$AUTH.key" "$W/right/swanctl/private/"
  swan_local="local { auth = pubkey
      certs = right-$AUTH.crt
      id = right.ia.test }"
  swan_remote="remote { auth = pubkey
      id = left.ia.test }"
  UP_AUTH=(--cert "$W/pki/left-$AUTH.crt" --key "$W/pki/left-$AUTH.key" --ca "$W/pki/ca-$AUTH.crt"
           --local-id left.ia.test --remote-id right.ia.test)
fi
cat > "$W/right.conf" <<EOC
connections {
  ia {
    version = 2
    local_addrs = $R
    remote_addrs = $L
    proposals = $SWAN_IKE
    fragmentation = yes
    mobike = no
    $swan_local
    $swan_remote
    children {
      net {
        local_ts = $IA_NET.2.0/24
        remote_ts = $IA_NET.1.0/24
        esp_proposals = $SWAN_ESP
      }
    }
  }
}
secrets {
  ike-ia {
    id-1 = left@ia.test
    id-2 = right@ia.test
    secret = "$PSK"
  }
}
EOC
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start"

# Capture the session: ike-decode must decrypt all of it with ike-up's key log. A UDP
# GSO message (ike-up sends a run of ESP packets of one SA as one) crosses a veth whole
# and is cut into datagrams only at the receiving socket, so a capture on the veth
# would see super-datagrams no decoder can split, as tcpdump on a TSO NIC sees
# super-packets: with gso_max_segs 1 the kernel segments before the capture point.
ip -n "$NS_LEFT" link set "$NS_PREFIX-l0" gso_max_segs 1 2>/dev/null
if command -v dumpcap >/dev/null; then
  ip netns exec "$NS_LEFT" dumpcap -q -P -i "$NS_PREFIX-l0" -f 'udp port 500 or udp port 4500' \
    -w "$W/capture.pcap" 2>"$W/dumpcap.log" &
  DUMPCAP_PID=$!
  for i in $(seq 1 50); do [ -s "$W/capture.pcap" ] && break; sleep 0.1; done
fi

role=responder
[ "$DIR" = ike-up-initiates ] && role=initiator
REKEY_FLAGS=()
case $REKEY in
  child-by-ike-up) REKEY_FLAGS=(--rekey-time 5s) ;;
  ike-by-ike-up) REKEY_FLAGS=(--ike-rekey-time 5s) ;;
esac
ip netns exec "$NS_LEFT" "$IKE_UP" --role $role --local "$L" --remote "$R" "${UP_AUTH[@]}" \
  --ike-proposal "$UP_IKE" --esp-proposal "$UP_ESP" \
  --local-ts "$IA_NET.1.0/24" --remote-ts "$IA_NET.2.0/24" --dpd-delay 0 \
  --retransmit-timeout 1s --retransmit-tries 3 --keylog "$W/keylog.jsonl" "${REKEY_FLAGS[@]}" \
  --control-socket "$W/ctl.sock" ${IKE_UP_EXTRA:-} \
  > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
# strongSwan initiates once ike-up has bound its sockets ("started" follows the bind).
for _ in $(seq 50); do grep -qs '"type":"started"' "$W/events.jsonl" && break; sleep 0.05; done
[ "$DIR" = swan-initiates ] && { swan_ctl "$W/right" --initiate --child net --timeout 10 >"$W/initiate.log" 2>&1 & }

wait_for() {  # wait_for TYPE SECONDS: an event of TYPE in ike-up's output
  local i
  for i in $(seq 1 $(($2 * 10))); do
    grep -q "\"type\":\"$1\"" "$W/events.jsonl" 2>/dev/null && return 0
    kill -0 "$UP_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [ "$SCEN" = mismatch-proposal ] || [ "$SCEN" = wrong-psk ]; then
  if [ "$DIR" = ike-up-initiates ]; then  # the initiator gives up and exits 1
    for i in $(seq 1 100); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$UP_PID" 2>/dev/null && fail "ike-up did not give up"
    wait "$UP_PID"; rc=$?; UP_PID=
    [ $rc -eq 1 ] || fail "ike-up exited $rc, expected 1"
  else  # the responder refuses strongSwan's attempt, reports it and keeps running
    wait_for failure 15 || fail "ike-up (responder) printed no failure event"
    kill -0 "$UP_PID" 2>/dev/null || fail "ike-up (responder) exited after refusing a peer"
  fi
  python3 - "$W/events.jsonl" "$SCEN" "$UP_IKE" "$SWAN_IKE" "$DIR" <<'EOP' || fail "failure event lacks the evidence"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = [e for e in events if e["type"] == "failure"]
assert f, "no failure event"
f = f[0]
ours, theirs, initiator = sys.argv[3], sys.argv[4], sys.argv[5] == "ike-up-initiates"
# Proposals print in canonical form (prf spelled out): compare the algorithm sets.
has = lambda props, p: any(set(p.split("-")) <= set(o.split("-")) for o in props)
if sys.argv[2] == "mismatch-proposal":
    assert f["step"] == "proposal", f
    assert f["notify"] == "NO_PROPOSAL_CHOSEN", f
    if initiator:
        assert has(f["offered"], ours), f
    else:  # what strongSwan offered and what we were configured with, side by side
        assert has(f["offered"], theirs) and has(f["configured"], ours), f
else:
    assert f["step"] == "auth", f
    assert f["exchange"] == "ike_auth", f
print("failure evidence:", json.dumps(f))
EOP
  echo "PASS ($SCEN $DIR)"
  exit 0
fi

# swan_until PATTERN [!]: list strongSwan's SAs (into $W/swan-state.txt) until the list
# matches PATTERN (with !: no longer matches), at most 3 s; the checks that follow read
# a list of their own and decide.
swan_until() {
  local i
  for i in $(seq 30); do
    swan_ctl "$W/right" --list-sas --pretty > "$W/swan-state.txt" 2>&1
    if [ "${2:-}" = "!" ]; then ! grep -q "$1" "$W/swan-state.txt" && return 0
    else grep -q "$1" "$W/swan-state.txt" && return 0; fi
    sleep 0.1
  done
  return 1
}

wait_for child_sa_up 15 || fail "no child_sa_up from ike-up"
UP_AT=$(date +%s%3N) # ms; ike-up's own rekey timers (--rekey-time 5s) run from before this
swan_until INSTALLED
swan_ctl "$W/right" --list-sas --pretty > "$W/sas.txt" 2>&1
python3 "$HERE/swan_sas.py" < "$W/sas.txt" > "$W/sas.json"
python3 - "$W/events.jsonl" "$W/sas.json" "$SWAN_IKE" "$SWAN_ESP" <<'EOP' || fail "ike-up and strongSwan disagree"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sas = json.load(open(sys.argv[2]))
ike_up = next(e for e in events if e["type"] == "ike_sa_up")
child = next(e for e in events if e["type"] == "child_sa_up")
assert ike_up["transport"] == "udp", ike_up["transport"]  # also with --transport auto
ia = sas["ia"]
assert ia["state"] == "ESTABLISHED", ia["state"]
assert ia["initiator-spi"] == ike_up["spi_i"], (ia["initiator-spi"], ike_up["spi_i"])
assert ia["responder-spi"] == ike_up["spi_r"], (ia["responder-spi"], ike_up["spi_r"])
kids = list(ia["child-sas"].values())
assert len(kids) == 1, kids
k = kids[0]
assert k["state"] == "INSTALLED", k["state"]
assert k["spi-in"] == child["spi_out"] and k["spi-out"] == child["spi_in"], (k, child)
# Algorithms: what strongSwan says it negotiated, in strongSwan's names, must be what
# ike-up reports in our (strongSwan proposal) keywords, and what was configured.
ike_prop, esp_prop = sys.argv[3], sys.argv[4]
assert ike_up["encr"] in ike_prop and ike_up["ke"] in ike_prop, (ike_up, ike_prop)
assert child["encr"] in esp_prop, (child, esp_prop)
def keyword_encr(sa):
    alg, bits = sa["encr-alg"], sa.get("encr-keysize", "")
    if alg.startswith("AES_GCM_"): return f"aes{bits}gcm{alg[8:]}"
    if alg == "AES_CBC": return f"aes{bits}"
    if alg == "CHACHA20_POLY1305": return "chacha20poly1305"
    return alg
INTEG = {"HMAC_SHA2_256_128": "sha256", "HMAC_SHA2_384_192": "sha384", "HMAC_SHA2_512_256": "sha512",
         "HMAC_SHA1_96": "sha1", "AES_XCBC_96": "aesxcbc"}
PRF = {"PRF_HMAC_SHA2_256": "prfsha256", "PRF_HMAC_SHA2_384": "prfsha384",
       "PRF_HMAC_SHA2_512": "prfsha512", "PRF_HMAC_SHA1": "prfsha1"}
def keyword_ke(g):
    if g.startswith("ECP_") or g.startswith("MODP_"): return g.replace("_", "").lower()
    return {"CURVE_25519": "x25519", "CURVE_448": "x448"}.get(g, g)
assert keyword_encr(ia) == ike_up["encr"], (ia["encr-alg"], ia.get("encr-keysize"), ike_up["encr"])
assert INTEG.get(ia.get("integ-alg")) == ike_up["integ"], (ia.get("integ-alg"), ike_up["integ"])
assert PRF.get(ia.get("prf-alg")) == ike_up["prf"], (ia.get("prf-alg"), ike_up["prf"])
assert keyword_ke(ia["dh-group"]) == ike_up["ke"], (ia["dh-group"], ike_up["ke"])
assert keyword_encr(k) == child["encr"], (k["encr-alg"], k.get("encr-keysize"), child["encr"])
assert INTEG.get(k.get("integ-alg")) == child["integ"], (k.get("integ-alg"), child["integ"])
swan_encr = ia["encr-alg"] + ia.get("encr-keysize", "")
print(f"agree: IKE {ike_up['spi_i']}_i {ike_up['spi_r']}_r {ike_up['encr']}/{ike_up['prf']}/{ike_up['ke']} "
      f"(strongSwan {swan_encr} {ia.get('prf-alg')} {ia.get('dh-group')}), "
      f"ESP in {child['spi_in']} out {child['spi_out']} {child['encr']} udp_encap={child['udp_encap']}")
EOP

# Traffic through the tunnel: ike-up's TUN data plane <-> strongSwan's userspace ESP.
if [ -n "$INNER" ]; then
  ping_tunnel() { ip netns exec "$NS_LEFT_H" ping -q -n -c "$1" -i "$2" -W 2 "$IA_NET.2.2"; }
else
  ping_tunnel() { ip netns exec "$NS_LEFT" ping -q -n -c "$1" -i "$2" -W 2 -I "$IA_NET.1.1" "$IA_NET.2.1"; }
fi
if [ -z "${NO_TRAFFIC:-}" ]; then
  ping_tunnel 5 0.2 > "$W/ping.txt" 2>&1 || { cat "$W/ping.txt"; fail "no ping through the tunnel"; }
  echo "ping: $(grep -E 'packets transmitted' "$W/ping.txt")"
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas-traffic.txt" 2>&1
  python3 - "$W/sas-traffic.txt" "$HERE/swan_sas.py" <<'EOP3' || fail "strongSwan's counters did not move"
import json, subprocess, sys
sas = json.loads(subprocess.run([sys.executable, sys.argv[2]], stdin=open(sys.argv[1]), capture_output=True, text=True).stdout)
# Summed over the Child SAs listed: with a 5 s rekey time the SA that carried the pings
# may already be the rekeyed one.
kids = list(sas["ia"]["child-sas"].values())
pin, pout = sum(int(k["packets-in"]) for k in kids), sum(int(k["packets-out"]) for k in kids)
assert pin >= 5 and pout >= 5, kids
print(f"strongSwan counters: packets-in {pin} packets-out {pout}")
EOP3
fi

# With a 5 s rekey time ike-up may rekey again while strongSwan's list is read, so the
# check takes ike-up's events before and after `swanctl --list-sas`: strongSwan must
# show, ESTABLISHED/INSTALLED, one of the SAs ike-up had current in that window. A real
# disagreement persists; a lagging snapshot does not, so agree_soon tries again every
# 0.3 s for up to 3 s (and shows the last attempt's output).
agree_soon() {
  local deadline=$((SECONDS + 3))
  until check_agreement > "$W/agree.txt" 2>&1; do
    [ $SECONDS -lt $deadline ] || { cat "$W/agree.txt"; return 1; }
    sleep 0.3
  done
  cat "$W/agree.txt"
}
check_agreement() {
  local before
  before=$(wc -l < "$W/events.jsonl")
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas2.txt" 2>&1
  python3 "$HERE/swan_sas.py" --all < "$W/sas2.txt" > "$W/sas2.json"
  python3 - "$W/events.jsonl" "$W/sas2.json" "$before" <<'EOP2'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
listed = [x["sa"] for x in json.load(open(sys.argv[2])) if x["name"] == "ia"]
before = int(sys.argv[3])
ike_pairs, child_pairs = [], []  # SAs current at the first snapshot, then newer ones
for n, e in enumerate(events):
    if e["type"] == "ike_sa_up": pair = (e["spi_i"], e["spi_r"])
    elif e["type"] == "ike_sa_rekeyed": pair = (e["new_spi_i"], e["new_spi_r"])
    elif e["type"] == "child_sa_up":
        c = (e["spi_out"], e["spi_in"])  # as strongSwan names them: its in is our out
        child_pairs = child_pairs + [c] if n >= before else [c]
        continue
    else: continue
    ike_pairs = ike_pairs + [pair] if n >= before else [pair]
ok = [sa for sa in listed if sa["state"] == "ESTABLISHED"
      and (sa["initiator-spi"], sa["responder-spi"]) in ike_pairs]
assert ok, ([(sa["initiator-spi"], sa["responder-spi"], sa["state"]) for sa in listed], ike_pairs)
installed = [(k["spi-in"], k["spi-out"]) for sa in ok for k in sa.get("child-sas", {}).values()
             if k["state"] == "INSTALLED"]
assert set(installed) & set(child_pairs), (installed, child_pairs)
print(f"after rekey: IKE {ok[0]['initiator-spi']}_i {ok[0]['responder-spi']}_r agree, ESP {sorted(set(installed) & set(child_pairs))}")
EOP2
}
# A steady ping across the rekey: the switch-over must lose less than 1%. The rekey is
# due 1 s from now when strongSwan starts it, 5 s after the SAs came up when ike-up's
# timer does. The ping (every 25 ms, at least 121 of them: one lost packet is allowed,
# as with 160 at 50 ms) lasts until 2.5 s after that, the TCP stream (whole seconds,
# at least 2) until 1 s after it: the capture that ike-decode reads below is mostly this
# stream (~130,000 ESP packets in 4 s, 1 s to decode each 30,000).
PING_PID=
if [ -n "$REKEY" ] && [ -z "${NO_TRAFFIC:-}" ]; then
  now=$(date +%s%3N)
  case $REKEY in *-by-ike-up) due=$((UP_AT + 5000)) ;; *) due=$((now + 1000)) ;; esac
  window=$((due + 2500 - now))
  [ $window -ge 3000 ] || window=3000
  ping_tunnel $(((window + 24) / 25 > 121 ? (window + 24) / 25 : 121)) 0.025 > "$W/ping-rekey.txt" 2>&1 &
  PING_PID=$!
  if [ -n "$INNER" ]; then  # and a TCP stream host to host across the rekey
    command -v iperf3 >/dev/null || fail "iperf3 missing (scripts/install-deps.sh test)"
    ip netns exec "$NS_RIGHT_H" iperf3 -s -1 -B "$IA_NET.2.2" > "$W/iperf3-server.txt" 2>&1 &
    IPERF_SERVER_PID=$!
    for _ in $(seq 50); do
      ip netns exec "$NS_RIGHT_H" ss -Htln 'sport = :5201' | grep -q . && break; sleep 0.05
    done
    stream=$(((due + 1000 - $(date +%s%3N) + 999) / 1000))
    [ $stream -ge 2 ] || stream=2
    ip netns exec "$NS_LEFT_H" iperf3 -c "$IA_NET.2.2" -t $stream -J > "$W/iperf3.json" 2>&1 &
    IPERF_PID=$!
  fi
  sleep 1
fi
case $REKEY in
  child-by-swan) swan_ctl "$W/right" --rekey --child net >/dev/null 2>&1 || fail "swanctl --rekey --child" ;;
  ike-by-swan) swan_ctl "$W/right" --rekey --ike ia >/dev/null 2>&1 || fail "swanctl --rekey --ike" ;;
esac
case $REKEY in
  child-*) wait_for child_sa_rekeyed 12 || fail "no child_sa_rekeyed ($REKEY)"
           agree_soon || fail "SPIs disagree after the Child SA rekey" ;;
  ike-*) wait_for ike_sa_rekeyed 12 || fail "no ike_sa_rekeyed ($REKEY)"
         agree_soon || fail "SPIs disagree after the IKE SA rekey" ;;
esac

if [ -n "$PING_PID" ]; then
  wait "$PING_PID"
  python3 - "$W/ping-rekey.txt" <<'EOP4' || { cat "$W/ping-rekey.txt"; fail "more than 1% loss across the rekey"; }
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
sent, got = int(m.group(1)), int(m.group(2))
loss = 100.0 * (sent - got) / sent
print(f"ping across the rekey: {got}/{sent} received, {loss:.1f}% loss")
assert loss < 1.0
EOP4
fi
if [ -n "${IPERF_PID:-}" ]; then
  wait "$IPERF_PID"; wait "$IPERF_SERVER_PID" 2>/dev/null; IPERF_SERVER_PID=
  python3 - "$W/iperf3.json" <<'EOP6' || { tail -20 "$W/iperf3.json"; fail "no TCP stream through the tunnel across the rekey"; }
import json, sys
r = json.load(open(sys.argv[1]))
assert "error" not in r, r.get("error")
got = r["end"]["sum_received"]["bytes"]
assert got > 0, got
print(f"TCP across the rekey: {got} bytes, {r['end']['sum_received']['bits_per_second'] / 1e6:.0f} Mbit/s")
EOP6
fi

# A Child SA DELETE alone (RFC 7296 1.4.1 with D(ESP)), once per direction in the base
# PSK scenario: ike-up deletes it (ikectl terminate --child) when it initiated, strongSwan
# (swanctl --terminate --child) when it did; the IKE SA stays up on both ends.
if [ "$SCEN" = psk-aes256gcm16-ecp256 ] && [ -z "$REKEY" ]; then
  spi_in=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "child_sa_up" in l][-1]["spi_in"])' "$W/events.jsonl")
  if [ "$DIR" = ike-up-initiates ]; then
    "$(dirname "$IKE_UP")/ikectl" --socket "$W/ctl.sock" --timeout 10s terminate --child "$spi_in" --wait \
      > "$W/terminate-child.jsonl" 2>&1 || { cat "$W/terminate-child.jsonl"; fail "ikectl terminate --child $spi_in"; }
  else
    swan_ctl "$W/right" --terminate --child net --timeout 5 >/dev/null 2>&1 || fail "swanctl --terminate --child"
  fi
  wait_for child_sa_down 5 || fail "ike-up printed no child_sa_down"
  swan_until INSTALLED !
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas-child-down.txt" 2>&1
  python3 "$HERE/swan_sas.py" < "$W/sas-child-down.txt" > "$W/sas-child-down.json"
  python3 - "$W/sas-child-down.json" <<'EOP7' || fail "strongSwan does not agree the Child SA is gone"
import json, sys
ia = json.load(open(sys.argv[1]))["ia"]
assert ia["state"] == "ESTABLISHED", ia["state"]
assert not [k for k in ia.get("child-sas", {}).values() if k["state"] == "INSTALLED"], ia["child-sas"]
print("Child SA deleted on both ends; the IKE SA stays ESTABLISHED")
EOP7
fi

# DELETE from the side that did not initiate. With a rekey, ike-up's side is
# `ikectl terminate --wait` over ike-up's control socket (ikectl(8)); without, SIGTERM.
IKECTL=$(dirname "$IKE_UP")/ikectl
if [ "$DIR" = ike-up-initiates ]; then
  swan_ctl "$W/right" --terminate --ike ia --timeout 5 >/dev/null 2>&1
  wait_for ike_sa_down 5 || fail "ike-up did not see strongSwan's DELETE"
elif [ -n "$REKEY" ]; then
  "$IKECTL" --socket "$W/ctl.sock" --timeout 10s terminate --ike ike-up --wait > "$W/terminate.jsonl" 2>&1 \
    || { cat "$W/terminate.jsonl"; fail "ikectl terminate --ike ike-up --wait"; }
  grep -q '"type":"ike_sa_down"' "$W/terminate.jsonl" || fail "ikectl terminate streamed no ike_sa_down"
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas-after.txt" 2>&1
  grep -q "ESTABLISHED" "$W/sas-after.txt" && fail "strongSwan still has the IKE SA after ikectl terminate"
  echo "ikectl terminate: deleted on both ends"
else
  kill -TERM "$UP_PID"
  for i in $(seq 1 50); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$UP_PID"; rc=$?; UP_PID=
  [ $rc -eq 0 ] || fail "ike-up exited $rc after SIGTERM"
  grep -q '"type":"ike_sa_down"' "$W/events.jsonl" || fail "ike-up printed no ike_sa_down"
  swan_until ESTABLISHED !
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas-after.txt" 2>&1
  grep -q "ESTABLISHED" "$W/sas-after.txt" && fail "strongSwan still has the IKE SA after ike-up's DELETE"
fi
grep -q '"type":"ike_sa"' "$W/keylog.jsonl" || fail "no ike_sa line in the key log"
if [ -n "$DUMPCAP_PID" ]; then
  sleep 0.3
  kill -TERM "$DUMPCAP_PID"; wait "$DUMPCAP_PID" 2>/dev/null; DUMPCAP_PID=
  "$IKE_DECODE" --keys "$W/keylog.jsonl" "$W/capture.pcap" > "$W/decoded.jsonl"
  rc=$?
  summary=$(tail -1 "$W/decoded.jsonl")
  [ $rc -eq 0 ] || fail "ike-decode with ike-up's key log exited $rc: $summary"
  echo "$summary" | grep -q '"undecryptable":0' || fail "capture not fully decrypted: $summary"
  echo "decoded: $summary"
  # RSA-2048 certificates make IKE_AUTH too large for one datagram at our 1280-byte
  # fragment size: both IKE_AUTH messages must travel as SKF fragments (RFC 7383).
  if [ "$AUTH" = rsa ]; then
    python3 - "$W/decoded.jsonl" <<'EOP5' || fail "IKE_AUTH was not fragmented both ways"
import json, sys
auth = [l for l in map(json.loads, open(sys.argv[1])) if l.get("exchange") == "IKE_AUTH"]
frag = {l["response"] for l in auth if any(p["payload_type"] == 53 for p in l["payloads"])}
assert frag == {False, True}, [(l["response"], [p["payload_type"] for p in l["payloads"]]) for l in auth]
print(f"IKE_AUTH fragmented both ways: {sum(1 for l in auth)} SKF datagrams")
EOP5
  fi
fi
grep -q '"type":"child_sa"' "$W/keylog.jsonl" || fail "no child_sa line in the key log"
echo "PASS ($SCEN $DIR)"
