#!/bin/bash
# capture-swan-pair.sh - run strongSwan <-> strongSwan in two fresh network
# namespaces, capture the IKE/ESP traffic and write the capture with all keys.
#
#   capture-swan-pair.sh [--inner] [--keep] SCENARIO OUTDIR
#   capture-swan-pair.sh --list
#
# Left charon initiates, right charon responds.  dumpcap captures on the
# left gateway's veth (filter: udp port 500 or udp port 4500 or esp).  The
# script initiates the IKE SA + Child SA "net", sends PINGS pings through the
# tunnel (IA_NET.1.1 -> IA_NET.2.1, or with --inner from the host namespace
# behind left IA_NET.1.2 -> IA_NET.2.2), for rekey scenarios rekeys the Child
# SA ("swanctl --rekey --child net") and pings PINGS_AFTER_REKEY more times,
# then deletes the IKE SA ("swanctl --terminate --ike ia").
#
# OUTDIR receives:
#   capture.pcap            pcap (dumpcap -P), link type Ethernet
#   charon-keys.log         the left charon's ike=4/chd=4 log, trimmed to the
#                           lines swan-keys.py reads
#   keys.jsonl meta.json wireshark/{ikev2_decryption_table,esp_sa,preferences}
#                           written by swan-keys.py
#   left.swanctl.conf right.swanctl.conf   the configurations used
#   pki/*.crt               (certificate scenarios) CA + end-entity certificates
#
# Environment:
#   NS_PREFIX, IA_NET  namespace prefix and /16 (first two octets).  Default:
#                      one per scenario (ikd1/10.241 ... ), so that different
#                      scenarios can run in parallel; the same scenario twice
#                      in parallel needs distinct values.
#   PINGS (3), PINGS_AFTER_REKEY (2)
#   KEEP_WORKDIR=1     same as --keep: keep the charon dirs (logs) in
#                      OUTDIR/work
# Exit status: 0 ok, 1 failure (reason on stderr; everything started is
# stopped and the namespaces are removed), 2 usage.
# Needs root, charon-systemd, swanctl, strongswan-pki, dumpcap, python3.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PSK_SECRET="ikekit-test-psk-0123456789abcdef"

# scenario -> index, IKE proposal, ESP proposal, authentication, rekey
scenario() {
    case "$1" in
        psk-aes256gcm16-ecp256)     echo "1 aes256gcm16-prfsha256-ecp256 aes256gcm16 psk 1" ;;
        psk-aes128-sha256-modp2048) echo "2 aes128-sha256-modp2048 aes128-sha256 psk 0" ;;
        psk-chacha20-x25519)        echo "3 chacha20poly1305-prfsha256-x25519 chacha20poly1305 psk 0" ;;
        ecdsa-aes256gcm16-ecp256)   echo "4 aes256gcm16-prfsha256-ecp256 aes256gcm16 ecdsa 0" ;;
        rsa-aes256gcm16-ecp256)     echo "5 aes256gcm16-prfsha256-ecp256 aes256gcm16 rsa 0" ;;
        ed25519-aes256gcm16-ecp256) echo "6 aes256gcm16-prfsha256-ecp256 aes256gcm16 ed25519 0" ;;
        *) return 1 ;;
    esac
}
SCENARIOS="psk-aes256gcm16-ecp256 psk-aes128-sha256-modp2048 psk-chacha20-x25519 ecdsa-aes256gcm16-ecp256 rsa-aes256gcm16-ecp256 ed25519-aes256gcm16-ecp256"

usage() { sed -n '2,8p' "$0" >&2; echo "scenarios: $SCENARIOS" >&2; exit 2; }
die() { echo "capture-swan-pair: $*" >&2; exit 1; }

CMDLINE="tests/interop/capture-swan-pair.sh $*"
INNER=0
KEEP=${KEEP_WORKDIR:-0}
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --inner) INNER=1 ;;
        --keep) KEEP=1 ;;
        --list) echo "$SCENARIOS" | tr ' ' '\n'; exit 0 ;;
        -h|--help) usage ;;
        -*) echo "capture-swan-pair: unknown option $1" >&2; usage ;;
        *) ARGS+=("$1") ;;
    esac
    shift
done
[ ${#ARGS[@]} = 2 ] || usage
SCEN=${ARGS[0]}
OUT=${ARGS[1]}
read -r IDX IKE_PROP ESP_PROP AUTH REKEY <<<"$(scenario "$SCEN")" || { echo "capture-swan-pair: unknown scenario '$SCEN'" >&2; usage; }
[ -n "${IDX:-}" ] || { echo "capture-swan-pair: unknown scenario '$SCEN'" >&2; usage; }
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
for c in dumpcap python3 ip; do command -v $c >/dev/null || die "$c not found"; done

export NS_PREFIX=${NS_PREFIX:-ikd$IDX}
export IA_NET=${IA_NET:-10.$((240 + IDX))}
PINGS=${PINGS:-3}
PINGS_AFTER_REKEY=${PINGS_AFTER_REKEY:-2}
# shellcheck source=lib/netns.sh
. "$HERE/lib/netns.sh"
# shellcheck source=lib/swan.sh
. "$HERE/lib/swan.sh"
# shellcheck source=lib/pki.sh
. "$HERE/lib/pki.sh"

mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/ikekit-swan.XXXXXX) || die "mktemp failed"
L=$WORK/left
R=$WORK/right
NETNS_CREATED=0
DUMPCAP_PID=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$DUMPCAP_PID" ] && kill -0 "$DUMPCAP_PID" 2>/dev/null; then
        kill -TERM "$DUMPCAP_PID" 2>/dev/null; wait "$DUMPCAP_PID" 2>/dev/null
    fi
    swan_stop "$L"
    swan_stop "$R"
    [ $NETNS_CREATED = 1 ] && netns_down
    if [ "$KEEP" = 1 ] || [ $rc != 0 ]; then
        rm -rf "$OUT/work"; cp -a "$WORK" "$OUT/work" 2>/dev/null
        [ $rc != 0 ] && echo "capture-swan-pair: charon logs kept in $OUT/work" >&2
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# swanctl.conf for one side: write_swanctl SIDE(left|right) FILE
write_swanctl() {
    local side=$1 f=$2 me peer my_ip peer_ip my_net peer_net
    if [ "$side" = left ]; then
        me=left; peer=right; my_ip=$IA_NET.0.1; peer_ip=$IA_NET.0.2; my_net=$IA_NET.1.0/24; peer_net=$IA_NET.2.0/24
    else
        me=right; peer=left; my_ip=$IA_NET.0.2; peer_ip=$IA_NET.0.1; my_net=$IA_NET.2.0/24; peer_net=$IA_NET.1.0/24
    fi
    {
    echo "# scenario $SCEN ($side); generated by tests/interop/capture-swan-pair.sh"
    echo "connections {"
    echo "  ia {"
    echo "    version = 2"
    echo "    local_addrs = $my_ip"
    echo "    remote_addrs = $peer_ip"
    echo "    proposals = $IKE_PROP"
    echo "    fragmentation = yes"
    echo "    mobike = no"
    if [ "$AUTH" = psk ]; then
        printf '    local {\n      auth = psk\n      id = %s@ia.test\n    }\n' "$me"
        printf '    remote {\n      auth = psk\n      id = %s@ia.test\n    }\n' "$peer"
    else
        printf '    local {\n      auth = pubkey\n      certs = %s\n      id = %s.ia.test\n    }\n' "$me-$AUTH.crt" "$me"
        printf '    remote {\n      auth = pubkey\n      id = %s.ia.test\n    }\n' "$peer"
    fi
    echo "    children {"
    echo "      net {"
    echo "        local_ts = $my_net"
    echo "        remote_ts = $peer_net"
    echo "        esp_proposals = $ESP_PROP"
    echo "      }"
    echo "    }"
    echo "  }"
    echo "}"
    if [ "$AUTH" = psk ]; then
        echo "secrets {"
        printf '  ike-ia {\n    id-1 = left@ia.test\n    id-2 = right@ia.test\n    secret = "%s"\n  }\n' "$PSK_SECRET"
        echo "}"
    fi
    } > "$f"
}

if [ $INNER = 1 ]; then netns_up --inner; else netns_up; fi || die "namespace setup failed"
NETNS_CREATED=1

mkdir -p "$L/swanctl" "$R/swanctl"
if [ "$AUTH" != psk ]; then
    pki_make "$WORK/pki" "$AUTH" >/dev/null || die "PKI generation failed"
    for s in left right; do
        d=$WORK/$s/swanctl
        mkdir -p "$d/x509" "$d/x509ca" "$d/private"
        cp "$WORK/pki/ca-$AUTH.crt" "$d/x509ca/"
        cp "$WORK/pki/$s-$AUTH.crt" "$d/x509/"
        cp "$WORK/pki/$s-$AUTH.key" "$d/private/"
    done
fi
write_swanctl left "$WORK/left.swanctl.conf"
write_swanctl right "$WORK/right.swanctl.conf"
swan_start "$NS_RIGHT" "$R" "$WORK/right.swanctl.conf" || die "right charon failed to start"
swan_start "$NS_LEFT" "$L" "$WORK/left.swanctl.conf" || die "left charon failed to start"

# capture on the left gateway's outer interface
rm -f "$OUT/capture.pcap"
ip netns exec "$NS_LEFT" dumpcap -q -P -i "$NS_PREFIX-l0" -f 'udp port 500 or udp port 4500 or esp' \
    -w "$OUT/capture.pcap" 2>"$WORK/dumpcap.log" &
DUMPCAP_PID=$!
for i in $(seq 1 50); do
    [ -s "$OUT/capture.pcap" ] && break
    kill -0 "$DUMPCAP_PID" 2>/dev/null || { cat "$WORK/dumpcap.log" >&2; die "dumpcap exited"; }
    sleep 0.1
done
[ -s "$OUT/capture.pcap" ] || die "dumpcap did not start capturing"
sleep 0.3

ping_tunnel() {
    local n=$1
    if [ $INNER = 1 ]; then
        nsx "$NS_LEFT_H" ping -q -n -c "$n" -i 0.2 -W 2 "$IA_NET.2.2" >/dev/null
    else
        nsx "$NS_LEFT" ping -q -n -c "$n" -i 0.2 -W 2 -I "$IA_NET.1.1" "$IA_NET.2.1" >/dev/null
    fi
}

swan_ctl "$L" --initiate --child net --timeout 10 >"$WORK/initiate.log" 2>&1 ||
    { cat "$WORK/initiate.log" >&2; die "initiate failed"; }
ping_tunnel "$PINGS" || die "pings through the tunnel failed"
if [ "$REKEY" = 1 ]; then
    swan_ctl "$L" --rekey --child net >"$WORK/rekey.log" 2>&1 || { cat "$WORK/rekey.log" >&2; die "rekey failed"; }
    # wait until the new Child SA is up and the old one deleted (INFORMATIONAL done)
    ok=0
    for i in $(seq 1 100); do
        if [ "$(grep -c 'CHILD_SA net{[0-9]*} established with SPIs' "$L/charon-keys.log")" -ge 2 ] &&
           grep -q 'CHILD_SA closed' "$L/charon-keys.log"; then ok=1; break; fi
        sleep 0.05
    done
    [ $ok = 1 ] || die "Child SA rekey did not complete within 5 s"
    ping_tunnel "$PINGS_AFTER_REKEY" || die "pings after the rekey failed"
fi
swan_ctl "$L" --terminate --ike ia --timeout 10 >"$WORK/terminate.log" 2>&1 ||
    { cat "$WORK/terminate.log" >&2; die "terminate failed"; }
sleep 0.3
kill -TERM "$DUMPCAP_PID" 2>/dev/null; wait "$DUMPCAP_PID" 2>/dev/null; DUMPCAP_PID=
swan_stop "$L"
swan_stop "$R"

cp "$WORK/left.swanctl.conf" "$WORK/right.swanctl.conf" "$OUT/"
if [ "$AUTH" != psk ]; then
    rm -rf "$OUT/pki"; mkdir -p "$OUT/pki"
    cp "$WORK/pki/"*.crt "$OUT/pki/"
fi
SWAN_VERSION=$(dpkg-query -W -f='${Version}' charon-systemd 2>/dev/null || echo unknown)
python3 "$HERE/swan-keys.py" "$L/charon-keys.log" "$OUT/capture.pcap" -o "$OUT" \
    --trim-to "$OUT/charon-keys.log" --scenario "$SCEN" --ike-proposal "$IKE_PROP" \
    --esp-proposal "$ESP_PROP" --auth "$AUTH" --strongswan-version "$SWAN_VERSION" \
    --command "$CMDLINE" || die "key extraction failed"
exit 0
