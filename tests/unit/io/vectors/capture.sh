#!/bin/bash
# capture.sh - regenerate the XFRM netlink test vectors from what `ip xfrm` sends.
#
# Each vector is one `ip xfrm ...` command run under
#   strace -e trace=sendmsg -e write=all ip xfrm ...
# in a throwaway network namespace; the hex dump strace prints of the sendmsg()
# iovec carrying the XFRM_MSG_* request is written to <name>.hex, with the exact
# command in a leading comment. The kernel may refuse the request (this machine's
# kernel has no ESP): the bytes ip sends are what matter.
# unit_io compares our builders byte for byte against these files, ignoring
# nlmsg_seq and nlmsg_pid (bytes 8..15).
#
# Needs root, iproute2 and strace (Debian: apt-get install strace iproute2).
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS="ikvec-$$"
ip netns add "$NS"
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT

GCM_KEY=0x000102030405060708090a0b0c0d0e0f10111213
CHACHA_KEY=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
AES_KEY=0x000102030405060708090a0b0c0d0e0f
SHA_KEY=0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f

capture() {  # name, ip arguments...
  local name=$1; shift
  local out="$HERE/$name.hex" trace
  trace=$(mktemp)
  ip netns exec "$NS" strace -o "$trace" -e trace=sendmsg -e write=all ip "$@" >/dev/null 2>&1 || true
  {
    echo "# ip $*"
    awk '/^sendmsg\(/ { take = ($0 ~ /XFRM_MSG_/); next }
         take && /^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / { h = substr($0, 11, 48); gsub(/ /, "", h); printf "%s\n", h }
         !/^ \|/ && !/^ \*/ { take = 0 }' "$trace"
  } >"$out"
  rm -f "$trace"
  if [ "$(grep -vc '^#' "$out")" = 0 ]; then echo "capture.sh: $name: no XFRM sendmsg seen" >&2; exit 1; fi
  echo "$name.hex"
}

capture newsa_gcm_tunnel_v4 xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0xc0ffee01 \
  reqid 7 mode tunnel replay-window 32 aead 'rfc4106(gcm(aes))' $GCM_KEY 128
capture newsa_cbc_sha256_encap_mark_v4 xfrm state add src 198.51.100.1 dst 203.0.113.9 proto esp spi 0x00001234 \
  reqid 42 mode tunnel replay-window 64 enc 'cbc(aes)' $AES_KEY auth-trunc 'hmac(sha256)' $SHA_KEY 128 \
  encap espinudp 4500 4501 0.0.0.0 mark 0x10 mask 0xff if_id 0x5
capture newsa_chacha_esn_transport_v6 xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x01020304 \
  reqid 3 mode transport replay-window 1024 flag esn aead 'rfc7539esp(chacha20,poly1305)' $CHACHA_KEY 128
capture delsa_v4 xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0xc0ffee01
capture getsa_v4 xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0xc0ffee01
capture newpolicy_out_tunnel_v4 xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 1000 \
  tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 7 mode tunnel
capture newpolicy_fwd_udp_v6 xfrm policy add src 2001:db8:1::/48 dst 2001:db8:2::/48 proto udp sport 53 dport 1053 \
  dir fwd priority 2000 mark 0x10 mask 0xff if_id 0x5 tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 3 mode tunnel
capture delpolicy_out_v4 xfrm policy delete src 10.1.0.0/16 dst 10.2.0.0/16 dir out
