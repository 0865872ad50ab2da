#!/usr/bin/env python3
"""tshark_summary.py - what tshark sees in an IKEv2/ESP capture, one JSON line
per IKE message or ESP packet, for comparison with ike-decode.

usage: tshark_summary.py CAPTURE [KEYDIR]

KEYDIR is a Wireshark configuration directory (ikev2_decryption_table,
esp_sa, preferences) or a directory holding one as "wireshark/" (the layout
tests/interop/swan-keys.py writes).  tshark runs with
WIRESHARK_CONFIG_DIR=KEYDIR and "-T pdml"; PDML keeps the payload tree in
wire order without JSON's duplicate-key problem.  Without KEYDIR tshark runs
with an empty configuration directory (nothing is decrypted).

Output lines (keys always present, in this order):
  {"frame":3,"kind":"ike","spi_i":"<16 hex>","spi_r":"<16 hex>",
   "exchange_type":35,"message_id":1,"initiator":true,"response":false,
   "payloads":[46],             outer payload types, wire order
   "decrypted":true,            SK/SKF decrypted by tshark; null if no SK/SKF
   "fragment":null,             or {"number":1,"total":2} for an SKF message
   "inner_payloads":[35,...],   direct payloads inside SK (or, for SKF, on the
                                frame that completes the reassembly; [] on the
                                other fragments); null if not decrypted / no SK
   "notify_types":[16388,...],  Notify message types, outer then inner, wire order
   "cfg_attributes":[[[1,"10.99.0.1"],[13,"10.1.0.0/24"]]],  per decrypted CP payload its
                                attributes: type and value (INTERNAL_IP4_ADDRESS, _DNS
                                and _SUBNET; null for other types and empty values)
   "eap":[[1,26]]}              per decrypted EAP payload its code and type (null
                                for Success and Failure); both null if not decrypted
  {"frame":5,"kind":"esp","spi":"c1234567","seq":1,
   "decrypted":true,            tshark decrypted the payload (else false)
   "icv_ok":true,               tshark's ICV check (null if not checked)
   "next_header":4,             ESP Next Header (4 = IPv4 in tunnel mode); null if not decrypted
   "inner_protocol":1}          protocol of the decrypted inner IP packet; null if none
Frames that are neither IKE nor ESP are skipped.  Nested payloads (Proposal,
Transform) are not listed.

Exit status: 0 ok, 1 tshark missing/failed or unreadable capture, 2 usage.
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def field_children(elem, name):
    return [c for c in elem if c.tag == 'field' and c.get('name') == name]


def first(elem, name):
    for c in elem:
        if c.tag == 'field' and c.get('name') == name:
            return c
    return None


def show_int(elem):
    if elem is None:
        return None
    s = elem.get('show', '')
    try:
        return int(s, 0)
    except ValueError:
        return None


def notify_types(payload):
    out = []
    for n in field_children(payload, 'isakmp.notify.msgtype'):
        v = show_int(n)
        if v is not None:
            out.append(v)
    return out


# RFC 7296 3.15.1 address attributes whose value both tools show: tshark field -> text.
CFG_VALUE_FIELDS = {1: 'isakmp.cfg.attr.internal_ip4_address', 3: 'isakmp.cfg.attr.internal_ip4_dns'}


def cfg_attributes(payload):
    """[[type, value], ...] of a CP payload; value as ike-decode writes it, or None."""
    out = []
    for a in field_children(payload, 'isakmp.cfg.attr'):
        t = show_int(first(a, 'isakmp.cfg.attr.type'))
        value = None
        if t in CFG_VALUE_FIELDS and first(a, CFG_VALUE_FIELDS[t]) is not None:
            value = first(a, CFG_VALUE_FIELDS[t]).get('show')
        elif t == 13 and first(a, 'isakmp.cfg.attr.internal_ip4_subnet_ip') is not None:
            mask = first(a, 'isakmp.cfg.attr.internal_ip4_subnet_netmask').get('show')
            bits = sum(bin(int(o)).count('1') for o in mask.split('.'))
            value = '%s/%d' % (first(a, 'isakmp.cfg.attr.internal_ip4_subnet_ip').get('show'), bits)
        out.append([t, value])
    return out


def eap_code_type(payload):
    """[code, type] of the EAP packet in an EAP payload (type None without one)."""
    for p in payload.iter('proto'):
        if p.get('name') == 'eap':
            return [show_int(first(p, 'eap.code')), show_int(first(p, 'eap.type'))]
    return [None, None]


def summarize_ike(frame, proto):
    flags = first(proto, 'isakmp.flags')
    ispi, rspi = first(proto, 'isakmp.ispi'), first(proto, 'isakmp.rspi')
    rec = {
        'frame': frame, 'kind': 'ike',
        'spi_i': ispi.get('value') if ispi is not None else None,
        'spi_r': rspi.get('value') if rspi is not None else None,
        'exchange_type': show_int(first(proto, 'isakmp.exchangetype')),
        'message_id': show_int(first(proto, 'isakmp.messageid')),
        'initiator': show_int(first(flags, 'isakmp.flag_i')) == 1 if flags is not None else None,
        'response': show_int(first(flags, 'isakmp.flag_r')) == 1 if flags is not None else None,
        'payloads': [], 'decrypted': None, 'fragment': None, 'inner_payloads': None,
        'notify_types': [], 'cfg_attributes': None, 'eap': None,
    }
    inner_notifies = []
    for p in field_children(proto, 'isakmp.typepayload'):
        t = show_int(p)
        rec['payloads'].append(t)
        rec['notify_types'].extend(notify_types(p))
        if t in (46, 53):
            rec['decrypted'] = first(p, 'isakmp.enc.decrypted') is not None
            if t == 53:
                rec['fragment'] = {'number': show_int(first(p, 'isakmp.frag.number')),
                                   'total': show_int(first(p, 'isakmp.frag.total'))}
            if rec['decrypted']:
                # SK: payloads under Decrypted Data > Contained Data; SKF: the
                # reassembled message's payloads follow the fragment list
                # directly under the SKF payload of the completing frame
                dec = first(p, 'isakmp.enc.decrypted')
                contained = first(dec, 'isakmp.enc.contained')
                holder = contained if contained is not None and t == 46 else p
                rec['inner_payloads'] = []
                rec['cfg_attributes'], rec['eap'] = [], []
                for q in field_children(holder, 'isakmp.typepayload'):
                    rec['inner_payloads'].append(show_int(q))
                    inner_notifies.extend(notify_types(q))
                    if show_int(q) == 47:
                        rec['cfg_attributes'].append(cfg_attributes(q))
                    elif show_int(q) == 48:
                        rec['eap'].append(eap_code_type(q))
    rec['notify_types'].extend(inner_notifies)
    return rec


def summarize_esp(frame, protos, i):
    proto = protos[i]
    spi = first(proto, 'esp.spi')
    dec = first(proto, 'esp.decrypted_data')
    icv = first(proto, 'esp.icv')
    icv_ok = None
    if icv is not None:
        good = first(icv, 'esp.icv_good')
        if good is not None:
            icv_ok = show_int(good) == 1
    rec = {'frame': frame, 'kind': 'esp', 'spi': spi.get('value') if spi is not None else None,
           'seq': show_int(first(proto, 'esp.sequence')), 'decrypted': dec is not None,
           'icv_ok': icv_ok, 'next_header': None, 'inner_protocol': None}
    if dec is not None:
        rec['next_header'] = show_int(first(dec, 'esp.protocol'))
        if i + 1 < len(protos):
            nxt = protos[i + 1]
            if nxt.get('name') == 'ip':
                rec['inner_protocol'] = show_int(first(nxt, 'ip.proto'))
            elif nxt.get('name') == 'ipv6':
                rec['inner_protocol'] = show_int(first(nxt, 'ipv6.nxt'))
    return rec


def run_tshark(capture, confdir, extra_args=()):
    env = dict(os.environ)
    env['WIRESHARK_CONFIG_DIR'] = confdir
    cmd = ['tshark', '-n', '-r', capture, '-T', 'pdml'] + list(extra_args)
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    except FileNotFoundError:
        print('tshark_summary: tshark not found (apt-get install tshark)', file=sys.stderr)
        return None
    err = p.stderr.decode(errors='replace')
    err = '\n'.join(l for l in err.splitlines() if 'Running as user' not in l)
    if p.returncode != 0:
        print('tshark_summary: tshark failed (%d): %s' % (p.returncode, err.strip()), file=sys.stderr)
        return None
    if err.strip():
        # e.g. a UAT row tshark rejected: decryption would silently not happen
        print('tshark_summary: tshark says: %s' % err.strip(), file=sys.stderr)
    return p.stdout


def summarize(capture, keydir=None, extra_args=(), every_message=False):
    """List of summary dicts; None on error (message on stderr).  extra_args go to
    tshark; every_message lists each IKE message and ESP packet of a frame (a TCP
    segment may complete several), not only the first."""
    if not os.path.isfile(capture):
        print('tshark_summary: %s: no such file' % capture, file=sys.stderr)
        return None
    tmp = None
    if keydir is None:
        tmp = tempfile.TemporaryDirectory(prefix='tshark-summary.')
        confdir = tmp.name
    elif os.path.isfile(os.path.join(keydir, 'wireshark', 'ikev2_decryption_table')) or \
            os.path.isfile(os.path.join(keydir, 'wireshark', 'esp_sa')):
        confdir = os.path.join(keydir, 'wireshark')
    elif os.path.isdir(keydir):
        confdir = keydir
    else:
        print('tshark_summary: %s: not a directory' % keydir, file=sys.stderr)
        return None
    try:
        xml = run_tshark(capture, os.path.abspath(confdir), extra_args)
    finally:
        if tmp is not None:
            tmp.cleanup()
    if xml is None:
        return None
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        print('tshark_summary: cannot parse tshark PDML: %s' % e, file=sys.stderr)
        return None
    out = []
    for pkt in root.iter('packet'):
        protos = [p for p in pkt if p.tag == 'proto']
        frame = None
        for p in protos:
            if p.get('name') == 'frame':
                frame = show_int(first(p, 'frame.number'))
        for i, p in enumerate(protos):
            if p.get('name') == 'isakmp':
                out.append(summarize_ike(frame, p))
            elif p.get('name') == 'esp':
                out.append(summarize_esp(frame, protos, i))
            else:
                continue
            if not every_message:
                break
    return out


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ('-h', '--help'):
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    recs = summarize(argv[1], argv[2] if len(argv) == 3 else None)
    if recs is None:
        return 1
    try:
        for r in recs:
            sys.stdout.write(json.dumps(r, separators=(',', ':')) + '\n')
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
