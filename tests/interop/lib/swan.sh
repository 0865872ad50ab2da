# shellcheck shell=bash
# swan.sh - one isolated strongSwan charon (charon-systemd) per directory,
# inside a network namespace.  Source this file.
#
#   swan_conf DIR                 write DIR/strongswan.conf (ike-bench
#                                 strongswan-conf: the settings of
#                                 bench/strongswan.hpp)
#   swan_start NETNS DIR [SWANCTL_CONF]
#                                 start charon in NETNS (writes the conf if
#                                 missing), wait for DIR/charon.vici, record
#                                 the PID in DIR/charon.pid; with SWANCTL_CONF
#                                 copy it to DIR/swanctl/swanctl.conf and
#                                 "swanctl --load-all".  Credentials go into
#                                 DIR/swanctl/{x509,x509ca,private,...} first.
#   swan_ctl DIR SWANCTL_CMD [ARGS...]   swanctl against that instance
#   swan_stop DIR                 SIGTERM to the recorded PID only (after
#                                 checking it is a charon), SIGKILL after 5 s
#   swan_need [PLUGIN...]         SKIP (exit 77) unless charon-systemd, swanctl and
#                                 each named plugin (e.g. eap-mschapv2) are installed
#   swan_sas_json DIR JSON [--all] the instance's SAs (swanctl --list-sas) as JSON
#                                 (swan_sas.py) in JSON, the text beside it (.txt)
#   swan_agree EVENTS JSON CONN   ike-up's first ike_sa_up and child_sa_up (EVENTS)
#                                 and strongSwan's CONN (JSON of swan_sas_json): the IKE SA
#                                 ESTABLISHED with the same SPIs, one Child SA
#                                 INSTALLED with the SPIs crossed
#   swan_logs DIR [N]             the last N (40) lines of the charon log
#   swan_resolve DIR              after swan_conf: load the resolve plugin, which writes
#                                 the DNS servers charon receives to DIR/resolv.conf
#                                 (its own file, not /etc/resolv.conf)
#
# Logs: DIR/charon.log (default level SWAN_LOGLEVEL, 1) and, unless
# SWAN_KEYLOG=0, DIR/charon-keys.log with ike=4 chd=4 (ALL SECRETS: SKEYSEED,
# DH secret, SK_*, ESP keys) plus cfg=1 for the "CHILD_SA ... established
# with SPIs" lines.  Nothing global is used: no /run/charon.*, /etc/swanctl,
# journal or syslog, so instances run side by side (one per namespace, as
# both bind UDP 500/4500).
#
# This kernel has XFRM but no ESP transform: charon uses the userspace ESP
# backend kernel-libipsec, which must be loaded BEFORE kernel-netlink (the
# first kernel-ipsec backend wins; kernel-netlink still does addresses and
# routes).  kernel-libipsec (5.9.x) always UDP-encapsulates ESP (port 4500,
# TUN device ipsec0, routes in table 220).  Without "kdf" key derivation
# fails ("KDF_PRF ... not supported").

SWAN_CHARON=${SWAN_CHARON:-/usr/sbin/charon-systemd}
SWAN_SWANCTL=${SWAN_SWANCTL:-/usr/sbin/swanctl}
# strongswan.conf comes from ike-bench's strongSwan writer (bench/strongswan.hpp), the
# one source of the plugin list and settings for these tests and the benchmarks: set
# IKE_BENCH to the ike-bench binary (ctest does), else the build tree's is used.
SWAN_IKE_BENCH=${IKE_BENCH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build/bin/ike-bench}
SWAN_SAS_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/swan_sas.py

swan_conf() {
    local d
    mkdir -p "$1/swanctl" && d=$(cd "$1" && pwd) || return 1
    [ -x "$SWAN_IKE_BENCH" ] || { echo "swan_conf: $SWAN_IKE_BENCH not found: build ike-bench or set IKE_BENCH" >&2; return 1; }
    local keylog=()
    [ "${SWAN_KEYLOG:-1}" = 1 ] && keylog=(--key-log)
    "$SWAN_IKE_BENCH" strongswan-conf --dir "$d" --log-level "${SWAN_LOGLEVEL:-1}" "${keylog[@]}" >/dev/null
}

swan_ctl() {
    # swanctl's --uri is a per-command option: it must follow the command
    local d cmd=$2
    d=$(cd "$1" && pwd) || return 1
    shift 2
    STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR="$d/swanctl" \
        "$SWAN_SWANCTL" "$cmd" --uri "unix://$d/charon.vici" "$@"
}

swan_stop() {
    local d=$1 pid i
    [ -f "$d/charon.pid" ] || return 0
    pid=$(cat "$d/charon.pid")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q charon "/proc/$pid/comm" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$d/charon.pid" "$d/charon.vici"
    return 0
}

swan_start() {
    local ns=$1 d=$2 conf=${3:-} pid i
    [ -n "$ns" ] && [ -n "$d" ] || { echo "swan_start: usage: swan_start NETNS DIR [SWANCTL_CONF]" >&2; return 1; }
    [ -x "$SWAN_CHARON" ] || { echo "swan_start: $SWAN_CHARON not found (apt-get install charon-systemd)" >&2; return 1; }
    mkdir -p "$d" && d=$(cd "$d" && pwd) || return 1
    if [ -f "$d/charon.pid" ] && kill -0 "$(cat "$d/charon.pid")" 2>/dev/null; then
        echo "swan_start: instance in $d already running" >&2; return 1
    fi
    [ -f "$d/strongswan.conf" ] || swan_conf "$d" || return 1
    (cd "$d/swanctl" && mkdir -p x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12)
    rm -f "$d/charon.vici"
    # "ip netns exec" exec()s charon, so $! is charon's own PID
    STRONGSWAN_CONF="$d/strongswan.conf" \
        ip netns exec "$ns" "$SWAN_CHARON" </dev/null >"$d/stdout.log" 2>&1 &
    pid=$!
    echo "$pid" > "$d/charon.pid"
    for i in $(seq 1 100); do
        [ -S "$d/charon.vici" ] && swan_ctl "$d" --stats >/dev/null 2>&1 && break
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$d/stdout.log" >&2
            echo "swan_start: charon exited early (see $d/charon.log)" >&2
            rm -f "$d/charon.pid"; return 1
        fi
        sleep 0.1
    done
    [ -S "$d/charon.vici" ] || { swan_stop "$d"; echo "swan_start: vici socket did not appear within 10 s" >&2; return 1; }
    if [ -n "$conf" ]; then
        [ "$(readlink -f "$conf")" = "$d/swanctl/swanctl.conf" ] || cp "$conf" "$d/swanctl/swanctl.conf"
        if ! swan_ctl "$d" --load-all --noprompt >"$d/load.log" 2>&1; then
            cat "$d/load.log" >&2
            swan_stop "$d"
            echo "swan_start: swanctl --load-all failed (charon stopped)" >&2
            return 1
        fi
    fi
    return 0
}

swan_need() {
    local p
    [ -x "$SWAN_CHARON" ] || { echo "SKIP: charon-systemd missing (scripts/install-deps.sh test)"; exit 77; }
    command -v swanctl >/dev/null || { echo "SKIP: swanctl missing (scripts/install-deps.sh test)"; exit 77; }
    for p in "$@"; do
        [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
            { echo "SKIP: strongSwan's $p plugin missing (libcharon-extauth-plugins)"; exit 77; }
    done
}

swan_sas_json() {
    local d=$1 json=$2
    shift 2
    swan_ctl "$d" --list-sas --pretty > "${json%.json}.txt" 2>&1
    python3 "$SWAN_SAS_PY" "$@" < "${json%.json}.txt" > "$json"
}

swan_agree() {
    python3 - "$@" <<'EOP'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sas = json.load(open(sys.argv[2]))
up = next(e for e in events if e["type"] == "ike_sa_up")
child = next(e for e in events if e["type"] == "child_sa_up")
ia = sas[sys.argv[3]]
assert ia["state"] == "ESTABLISHED", ia["state"]
assert (ia["initiator-spi"], ia["responder-spi"]) == (up["spi_i"], up["spi_r"]), (ia, up)
kids = list(ia["child-sas"].values())
assert len(kids) == 1 and kids[0]["state"] == "INSTALLED", kids
assert kids[0]["spi-in"] == child["spi_out"] and kids[0]["spi-out"] == child["spi_in"], (kids, child)
print(f"agree: IKE {up['spi_i']}_i {up['spi_r']}_r, ESP in {child['spi_in']} out {child['spi_out']}")
EOP
}

swan_logs() {
    echo "--- charon log"
    tail -n "${2:-40}" "$1/charon.log" 2>/dev/null
    return 0
}

swan_resolve() {
    local d
    d=$(cd "$1" && pwd) || return 1
    sed -i -e 's/^\( *load = .*vici\)$/\1 resolve/' \
        -e "s|^\( *plugins {\)$|\1\n        resolve {\n            file = $d/resolv.conf\n        }|" \
        "$d/strongswan.conf"
    grep -q 'vici resolve' "$d/strongswan.conf" || { echo "swan_resolve: no load line ending in vici in $d/strongswan.conf" >&2; return 1; }
}
