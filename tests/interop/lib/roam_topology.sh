# roam_topology.sh - the namespaces of a client with two access links to one server,
# for MOBIKE tests (ike_up_mobike.sh, make-mobike-capture.sh).
#
#   client --link a CLIENT_A--[ROUTER_A  router  ROUTER_S]----[SERVER server]
#          --link b CLIENT_B--[ROUTER_B              ]
#   inner INNER_C (lo)                                       inner INNER_S (lo)
#
# The caller sets P (link-name prefix), NS_C NS_R NS_S, and the addresses named above
# (/24 each). Whatever else a test needs (NAT rules, captures) it adds afterwards.

# roam_topology_check: fails when one of the namespaces exists (another run?).
roam_topology_check() {
  local ns
  for ns in $NS_C $NS_R $NS_S; do
    ip netns list | awk '{print $1}' | grep -qx "$ns" && { echo "namespace $ns exists (another run?)" >&2; return 1; }
  done
  return 0
}

# roam_topology_up ROUTER: builds the topology; the client's default route goes via ROUTER
# (ROUTER_A or ROUTER_B). Run it under `set -e` (in a subshell) to stop at the first error.
roam_topology_up() {
  local via=$1 ns l
  for ns in $NS_C $NS_R $NS_S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  done
  ip link add "$P-a" netns "$NS_C" type veth peer name "$P-ra" netns "$NS_R"
  ip link add "$P-b" netns "$NS_C" type veth peer name "$P-rb" netns "$NS_R"
  ip link add "$P-o" netns "$NS_R" type veth peer name "$P-s" netns "$NS_S"
  ip -n "$NS_C" addr add "$CLIENT_A/24" dev "$P-a"
  ip -n "$NS_C" addr add "$CLIENT_B/24" dev "$P-b"
  ip -n "$NS_R" addr add "$ROUTER_A/24" dev "$P-ra"
  ip -n "$NS_R" addr add "$ROUTER_B/24" dev "$P-rb"
  ip -n "$NS_R" addr add "$ROUTER_S/24" dev "$P-o"
  ip -n "$NS_S" addr add "$SERVER/24" dev "$P-s"
  ip -n "$NS_C" addr add "$INNER_C/32" dev lo
  ip -n "$NS_S" addr add "$INNER_S/32" dev lo
  for l in "$NS_C $P-a" "$NS_C $P-b" "$NS_R $P-ra" "$NS_R $P-rb" "$NS_R $P-o" "$NS_S $P-s"; do
    set -- $l
    ip -n "$1" link set "$2" up
  done
  ip -n "$NS_C" route add default via "$via"
  ip -n "$NS_S" route add default via "$ROUTER_S"
  ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
}
