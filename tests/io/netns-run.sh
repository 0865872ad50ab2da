#!/bin/bash
# netns-run.sh BINARY SUBCOMMAND - run one I/O namespace test in a fresh network
# namespace "ikio-<pid>-<subcommand>" and delete the namespace afterwards, also on
# failure. Exit 77 (ctest SKIP_RETURN_CODE) with "SKIP: <reason>" when not root or
# when network namespaces are unavailable.
set -u
bin=$1 sub=$2
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root to create network namespaces"; exit 77; fi
if ! command -v ip >/dev/null; then echo "SKIP: iproute2 (ip) is not installed"; exit 77; fi
ns="ikio-$$-$sub"
if ! ip netns add "$ns" 2>/dev/null; then echo "SKIP: cannot create a network namespace"; exit 77; fi
trap 'ip netns del "$ns" 2>/dev/null' EXIT
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$bin" "$sub"
exit $?
