#!/usr/bin/env python3
"""check-tshark-summary.py SUMMARY.jsonl --decrypted all|none

Checks a tests/decode/tshark_summary.py output.  all: every IKE message with
an SK/SKF payload was decrypted by tshark, every SKF message's last fragment
carries the reassembled inner payloads, every IKE_AUTH request has IDi and
AUTH inside, and every ESP packet was decrypted, passed the ICV check and
holds an ICMP packet.  none: nothing was decrypted (ChaCha20-Poly1305 with
tshark 4.0).  Exit 0 ok, 1 check failed (reasons on stderr), 2 usage.
"""
import json
import sys


def main(argv):
    if len(argv) != 4 or argv[2] != '--decrypted' or argv[3] not in ('all', 'none'):
        print(__doc__, file=sys.stderr)
        return 2
    want = argv[3]
    errors = []
    n_ike = n_esp = 0
    with open(argv[1]) as f:
        recs = [json.loads(l) for l in f if l.strip()]
    for r in recs:
        fr = r['frame']
        if r['kind'] == 'ike':
            n_ike += 1
            if r['decrypted'] is None:
                continue
            if want == 'none':
                if r['decrypted']:
                    errors.append('frame %d: IKE decrypted, expected not' % fr)
                continue
            if not r['decrypted']:
                errors.append('frame %d: IKE SK/SKF not decrypted' % fr)
                continue
            frag = r['fragment']
            complete = frag is None or frag['number'] == frag['total']
            if r['exchange_type'] == 35 and not r['response'] and complete and r['message_id'] == 1:
                for t, name in ((35, 'IDi'), (39, 'AUTH'), (33, 'SA'), (44, 'TSi'), (45, 'TSr')):
                    if t not in r['inner_payloads']:
                        errors.append('frame %d: IKE_AUTH request without %s inside' % (fr, name))
        elif r['kind'] == 'esp':
            n_esp += 1
            if want == 'none':
                if r['decrypted']:
                    errors.append('frame %d: ESP decrypted, expected not' % fr)
            elif not (r['decrypted'] and r['icv_ok'] and r['inner_protocol'] == 1):
                errors.append('frame %d: ESP SPI %s not decrypted to ICMP (%s)' % (fr, r['spi'], r))
    if n_ike < 4:
        errors.append('only %d IKE messages' % n_ike)
    if n_esp < 2:
        errors.append('only %d ESP packets' % n_esp)
    for e in errors:
        print('check-tshark-summary: ' + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
