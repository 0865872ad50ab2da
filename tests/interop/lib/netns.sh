# shellcheck shell=bash
# netns.sh - a pair of network namespaces joined by a veth link, optionally
# with an "inner" host namespace behind each gateway.  Source this file.
#
#   netns_up [--inner]   create; fails (exit status 1) if any of the
#                        namespaces already exists (parallel runs must use
#                        distinct NS_PREFIX / IA_NET)
#   netns_down           delete exactly the namespaces of this prefix
#                        (idempotent, never fails)
#   nsx NETNS CMD...     run CMD inside NETNS
#   netns_pair NS_A NS_B DEV_A DEV_B [v6|no-v6]
#                        two namespaces of the caller's naming joined by a veth (DEV_A in
#                        NS_A, DEV_B in NS_B; not up yet: addresses first), lo up; v6
#                        (default): IPv6 on and no DAD for new addresses; no-v6: IPv6
#                        off. SKIP (exit 77) when the namespaces cannot be made, 1 when
#                        the veth cannot
#   netns_pair_down NS_A NS_B   delete them (never fails)
#   netns_capture NETNS DEV FILE [SNAPLEN]
#                        dumpcap on DEV into FILE in the background, back once the
#                        file is written (CAPTURE_PID: dumpcap; FILE.err: its stderr);
#                        SNAPLEN bytes of each frame (default: all of it)
#   netns_nat_up [N]     N (default 1) clients behind one NAT router and a server:
#                        $P-c1..$P-cN (client I is IA_NET.(10+I).2, default route via the
#                        router's IA_NET.(10+I).1), $P-nat (IA_NET.0.1 outside, nftables
#                        masquerade out of $P-o), $NS_RIGHT the server (IA_NET.0.2 on $P-s,
#                        IA_NET.2.1 on lo; no route to the clients: only the NAT's address
#                        reaches it). IPv6 off. Fails (1) as netns_up does; netns_down
#                        removes them.
#
# Topology (IA_NET = first two octets, default 10.241; NS_PREFIX default ikd):
#
#   [IA_NET.1.2]---[IA_NET.1.1  $P-left  IA_NET.0.1]==veth==[IA_NET.0.2  $P-right  IA_NET.2.1]---[IA_NET.2.2]
#    $P-left-h            gateway, if $P-l0                        gateway, if $P-r0             $P-right-h
#    (--inner only)                                                                             (--inner only)
#
# Without --inner, IA_NET.1.1 / IA_NET.2.1 sit on the gateways' lo (/32) so
# tunnel traffic is "ping -I IA_NET.1.1 IA_NET.2.1" inside $P-left.
# Interface names are "$P-l0" etc.: keep NS_PREFIX short (<= 10 chars).
# Everything is created directly inside the namespaces, nothing in the root
# namespace.

NS_PREFIX=${NS_PREFIX:-ikd}
IA_NET=${IA_NET:-10.241}
NS_LEFT=$NS_PREFIX-left
NS_RIGHT=$NS_PREFIX-right
NS_LEFT_H=$NS_PREFIX-left-h
NS_RIGHT_H=$NS_PREFIX-right-h

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

netns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

netns_down() {
    local ns
    for ns in "$NS_LEFT_H" "$NS_RIGHT_H" "$NS_LEFT" "$NS_RIGHT" "$NS_PREFIX-nat" \
              $(ip netns list 2>/dev/null | awk '{print $1}' | grep -x -- "$NS_PREFIX-c[0-9]*"); do
        netns_exists "$ns" && ip netns del "$ns" 2>/dev/null
    done
    return 0
}

netns_up() {
    local inner=0 ns P=$NS_PREFIX
    [ "${1:-}" = "--inner" ] && inner=1
    case "$P" in ''|*[!a-z0-9]*) echo "netns: NS_PREFIX must be [a-z0-9]+, got '$P'" >&2; return 1;; esac
    [ ${#P} -le 10 ] || { echo "netns: NS_PREFIX '$P' too long (interface names)" >&2; return 1; }
    for ns in "$NS_LEFT" "$NS_RIGHT" "$NS_LEFT_H" "$NS_RIGHT_H"; do
        if netns_exists "$ns"; then
            echo "netns: namespace $ns already exists (another run with NS_PREFIX=$P? remove it with: ip netns del $ns)" >&2
            return 1
        fi
    done
    (
    set -e
    ip netns add "$NS_LEFT"
    ip netns add "$NS_RIGHT"
    ip link add "$P-l0" netns "$NS_LEFT" type veth peer name "$P-r0" netns "$NS_RIGHT"
    for ns in "$NS_LEFT" "$NS_RIGHT"; do
        nsx "$ns" ip link set lo up
        nsx "$ns" sysctl -qw net.ipv4.ip_forward=1
        # no IPv6 noise (DAD, router solicitations) on the captured link
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
    done
    nsx "$NS_LEFT"  ip addr add "$IA_NET.0.1/24" dev "$P-l0"
    nsx "$NS_RIGHT" ip addr add "$IA_NET.0.2/24" dev "$P-r0"
    nsx "$NS_LEFT"  ip link set "$P-l0" up
    nsx "$NS_RIGHT" ip link set "$P-r0" up
    if [ $inner = 1 ]; then
        ip netns add "$NS_LEFT_H"
        ip netns add "$NS_RIGHT_H"
        ip link add "$P-lh0" netns "$NS_LEFT"  type veth peer name "$P-lh1" netns "$NS_LEFT_H"
        ip link add "$P-rh0" netns "$NS_RIGHT" type veth peer name "$P-rh1" netns "$NS_RIGHT_H"
        nsx "$NS_LEFT"    ip addr add "$IA_NET.1.1/24" dev "$P-lh0"
        nsx "$NS_LEFT_H"  ip addr add "$IA_NET.1.2/24" dev "$P-lh1"
        nsx "$NS_RIGHT"   ip addr add "$IA_NET.2.1/24" dev "$P-rh0"
        nsx "$NS_RIGHT_H" ip addr add "$IA_NET.2.2/24" dev "$P-rh1"
        for ns in "$NS_LEFT_H" "$NS_RIGHT_H"; do
            nsx "$ns" ip link set lo up
            nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
        done
        nsx "$NS_LEFT"    ip link set "$P-lh0" up
        nsx "$NS_LEFT_H"  ip link set "$P-lh1" up
        nsx "$NS_RIGHT"   ip link set "$P-rh0" up
        nsx "$NS_RIGHT_H" ip link set "$P-rh1" up
        nsx "$NS_LEFT_H"  ip route add default via "$IA_NET.1.1"
        nsx "$NS_RIGHT_H" ip route add default via "$IA_NET.2.1"
    else
        nsx "$NS_LEFT"  ip addr add "$IA_NET.1.1/32" dev lo
        nsx "$NS_RIGHT" ip addr add "$IA_NET.2.1/32" dev lo
    fi
    ) || { echo "netns: setup failed" >&2; netns_down; return 1; }
    # the veth may need a moment before it passes traffic
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        nsx "$NS_LEFT" ping -c1 -W1 "$IA_NET.0.2" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    if true; then
        echo "netns: outer ping $IA_NET.0.1 -> $IA_NET.0.2 failed" >&2
        netns_down
        return 1
    fi
    return 0
}

netns_pair() {
    local a=$1 b=$2 dev_a=$3 dev_b=$4 v6=${5:-v6} ns
    if ! ip netns add "$a" 2>/dev/null || ! ip netns add "$b" 2>/dev/null; then
        echo "SKIP: cannot create namespaces $a/$b"; exit 77
    fi
    ip link add "$dev_a" netns "$a" type veth peer name "$dev_b" netns "$b" || return 1
    for ns in "$a" "$b"; do
        ip -n "$ns" link set lo up
        if [ "$v6" = v6 ]; then
            nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
            nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
        else
            nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 # no IPv6 noise in a capture
        fi
    done
}

netns_pair_down() {
    ip netns del "$1" 2>/dev/null
    ip netns del "$2" 2>/dev/null
    return 0
}

CAPTURE_PID=
netns_capture() {
    local _
    # "ip netns exec" exec()s dumpcap: $! is dumpcap's own PID (a function would fork)
    ip netns exec "$1" dumpcap -q -P -i "$2" ${4:+-s "$4"} -w "$3" 2>"$3.err" &
    # shellcheck disable=SC2034 # read by the caller
    CAPTURE_PID=$!
    for _ in $(seq 50); do [ -s "$3" ] && break; sleep 0.1; done
}

netns_nat_up() {
    local n=${1:-1} P=$NS_PREFIX i ns
    local clients=() nat=$NS_PREFIX-nat
    for i in $(seq 1 "$n"); do clients+=("$P-c$i"); done
    for ns in "${clients[@]}" "$nat" "$NS_RIGHT"; do
        if netns_exists "$ns"; then
            echo "netns: namespace $ns already exists (another run with NS_PREFIX=$P?)" >&2
            return 1
        fi
    done
    (
    set -e
    for ns in "${clients[@]}" "$nat" "$NS_RIGHT"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    done
    ip link add "$P-o" netns "$nat" type veth peer name "$P-s" netns "$NS_RIGHT"
    ip -n "$nat" addr add "$IA_NET.0.1/24" dev "$P-o"
    ip -n "$NS_RIGHT" addr add "$IA_NET.0.2/24" dev "$P-s"
    ip -n "$NS_RIGHT" addr add "$IA_NET.2.1/32" dev lo
    ip -n "$nat" link set "$P-o" up
    ip -n "$NS_RIGHT" link set "$P-s" up
    for i in $(seq 1 "$n"); do
        ns=$P-c$i
        ip link add "$P-c$i" netns "$ns" type veth peer name "$P-n$i" netns "$nat"
        ip -n "$ns" addr add "$IA_NET.$((10 + i)).2/24" dev "$P-c$i"
        ip -n "$nat" addr add "$IA_NET.$((10 + i)).1/24" dev "$P-n$i"
        ip -n "$ns" link set "$P-c$i" up
        ip -n "$nat" link set "$P-n$i" up
        ip -n "$ns" route add default via "$IA_NET.$((10 + i)).1"
    done
    nsx "$nat" sysctl -qw net.ipv4.ip_forward=1
    nsx "$nat" nft -f - <<EON
table ip ikekit_nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$P-o" masquerade
  }
}
EON
    ) || { echo "netns: NAT setup failed" >&2; netns_down; return 1; }
    for ns in "${clients[@]}"; do
        for i in $(seq 20); do nsx "$ns" ping -c1 -W1 "$IA_NET.0.2" >/dev/null 2>&1 && break; sleep 0.1; done
        nsx "$ns" ping -c1 -W1 "$IA_NET.0.2" >/dev/null 2>&1 ||
            { echo "netns: $ns does not reach $IA_NET.0.2 through the NAT" >&2; netns_down; return 1; }
    done
    return 0
}
