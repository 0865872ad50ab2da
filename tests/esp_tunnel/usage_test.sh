#!/bin/bash
# usage_test.sh ESP_TUNNEL - bad flags exit 2 with an error document naming the flag
# (and, for keys, the expected length); runs without privileges.
set -u
BIN=$1
failed=0
K36=$(printf '%072d' 0) K32=$(printf '%064d' 0)
base=(--local 192.0.2.1 --remote 192.0.2.2 --spi-in c0000001 --spi-out c0000002)
expect() {  # FLAG SNIPPET -- ARGS...
  local flag=$1 snippet=$2; shift 3
  local out rc
  out=$("$BIN" "$@" 2>/dev/null); rc=$?
  if [ "$rc" = 2 ] && echo "$out" | grep -q "\"field\":\"$flag\"" && echo "$out" | grep -qF -- "$snippet"; then
    echo "ok: $flag: $snippet"
  else
    echo "FAIL: expected exit 2 naming $flag with \"$snippet\", got $rc: $out"; failed=1
  fi
}
expect --key-in "aes256gcm16 takes 36 bytes" -- "${base[@]}" --cipher aes256gcm16 --key-in abcd --key-out "$K36"
expect --key-in "the key given has 2 bytes" -- "${base[@]}" --cipher aes256gcm16 --key-in abcd --key-out "$K36"
expect --key-in "not all hex digits" -- "${base[@]}" --cipher aes256gcm16 --key-in "${K36%??}zz" --key-out "$K36"
# A key is never echoed, not even a wrong one.
out=$("$BIN" "${base[@]}" --cipher aes256gcm16 --key-in 5ec7e75ec7e7 --key-out "$K36" 2>/dev/null)
if echo "$out" | grep -q 5ec7e7; then echo "FAIL: the key was echoed: $out"; failed=1; else echo "ok: a wrong key is not echoed"; fi
# Keys on the command line work, with a warning on stderr.
err=$("$BIN" "${base[@]}" --cipher aes256gcm16 --key-in "$K36" --key-out "$K36" --mode bridge 2>&1 >/dev/null)
echo "$err" | grep -q "WARNING" && { echo "FAIL: warned before the flags were valid: $err"; failed=1; }
expect --key-out "aes128gcm16 takes 20 bytes" -- "${base[@]}" --cipher aes128gcm16 --key-in "$(printf '%040d' 0)" --key-out "$K32"
expect --cipher '\"aes999\": unknown cipher' -- "${base[@]}" --cipher aes999 --key-in "$K36" --key-out "$K36"
expect --cipher "never runs it in a tunnel" -- "${base[@]}" --cipher 3des --key-in "$K36" --key-out "$K36" --integ sha1
expect --integ "is required with aes256" -- "${base[@]}" --cipher aes256 --key-in "$K32" --key-out "$K32"
expect --integ-key-in "sha256 takes 32 bytes" -- "${base[@]}" --cipher aes256 --key-in "$K32" --key-out "$K32" --integ sha256 --integ-key-in 00 --integ-key-out "$K32"
expect --spi-in "SPIs 0..255 are reserved" -- --local 192.0.2.1 --remote 192.0.2.2 --spi-in 0x10 --spi-out c0000002 --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --spi-out "expected an SPI" -- --local 192.0.2.1 --remote 192.0.2.2 --spi-in c0000001 --spi-out xyz --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --local '\"nope\"' -- --local nope --remote 192.0.2.2 --spi-in c0000001 --spi-out c0000002 --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --backend '\"kernel\"' -- "${base[@]}" --backend kernel --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --mode '\"bridge\"' -- "${base[@]}" --mode bridge --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --route '\"10.0.0.0/99\"' -- "${base[@]}" --route 10.0.0.0/99 --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --stats-interval '\"5x\"' -- "${base[@]}" --stats-interval 5x --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
# Key files (esp-tunnel(8) SECRET FILES): ours alone, regular, no symlink.
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
: >"$T/keys.jsonl"; chmod 600 "$T/keys.jsonl"
expect --keys "no child_sa line" -- "${base[@]}" --keys "$T/keys.jsonl"
chmod 644 "$T/keys.jsonl"
expect --keys "has mode 0644" -- "${base[@]}" --keys "$T/keys.jsonl"
ln -s "$T/keys.jsonl" "$T/link"
expect --keys "is a symbolic link" -- "${base[@]}" --keys "$T/link"
expect --keys "is not a regular file" -- "${base[@]}" --keys /dev/null
expect --state-dir "expected an absolute directory path" -- "${base[@]}" --state-dir rel --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --mark '\"0x2a/zz\": expected VALUE[/MASK]' -- "${base[@]}" --backend xfrm --mark 0x2a/zz --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --mark "only with --backend xfrm" -- "${base[@]}" --mark 1 --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
expect --if-id '\"0\": expected 1..4294967295' -- "${base[@]}" --backend xfrm --if-id 0 --cipher aes256gcm16 --key-in "$K36" --key-out "$K36"
exit $failed
