#!/bin/bash
# install-deps.sh - install ikekit's Debian packages when missing (idempotent).
#   scripts/install-deps.sh [build|test|all]    default: all
# build: what compiling needs. test: build + the real peers and tools the test
# suite drives (strongSwan, tshark, iproute2, clang-14 for the fuzz build, clang-tidy-14
# for scripts/tidy.sh).
set -eu

BUILD_PKGS="cmake ninja-build g++ pkg-config git clang-format-14 libssl-dev libcli11-dev libpcap-dev nlohmann-json3-dev catch2 libmnl-dev libnftables-dev"
TEST_PKGS="freeradius strongswan-swanctl charon-systemd libcharon-extra-plugins libcharon-extauth-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins strongswan-pki
tshark python3 iproute2 dnsmasq-base iputils-ping nftables conntrack iperf3 strace clang-14 libclang-rt-14-dev clang-tidy-14 wireguard-go wireguard-tools"

case "${1:-all}" in
  build) want=$BUILD_PKGS ;;
  test|all) want="$BUILD_PKGS $TEST_PKGS" ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 3
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# charon-systemd's postinst tries to start a service; there is none to start in a container.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
