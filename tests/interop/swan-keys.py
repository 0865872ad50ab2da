#!/usr/bin/env python3
"""swan-keys.py - extract IKE and ESP keys from a strongSwan charon log.

usage: swan-keys.py CHARON_KEYS_LOG [CAPTURE.pcap] -o OUTDIR [--trim-to FILE]
                    [--scenario NAME] [--ike-proposal P] [--esp-proposal P]
                    [--auth A] [--strongswan-version V] [--command CMD]

Reads a charon filelog written with "ike = 4, chd = 4, cfg = 1, enc = 1"
and "ike_name = yes" (tests/interop/lib/swan.sh does that) and writes into
OUTDIR:

  keys.jsonl          ikekit key log: one {"type":"ike_sa",...} line per
                      IKE SA, one {"type":"child_sa",...} line per ESP SA
                      (one per direction, each SPI with its destination)
  wireshark/ikev2_decryption_table, wireshark/esp_sa, wireshark/preferences
                      usable as WIRESHARK_CONFIG_DIR=OUTDIR/wireshark
  meta.json           scenario, proposals, strongSwan version, and per IKE SA
                      the DH shared secret g^ir, SKEYSEED, the IKE_SA_INIT
                      nonces (from the capture) and per Child SA the KEYMAT
                      seed, for key schedule cross-checks

The optional capture (classic pcap, Ethernet/raw IP/Linux SLL) supplies the
IKE SPIs if the log lacks them and the IKE_SA_INIT nonces and KE data.
--trim-to writes a copy of the log reduced to the lines this script reads
(PSK, AUTH octets, NAT-D hashes and task chatter are dropped).

Charon log lines used (after "NN[GRP] <conn|uid> "):
  selected proposal: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256
  selected proposal: ESP:AES_GCM_16_256/NO_EXT_SEQ
  shared Diffie Hellman secret => N bytes @ 0x...   (+ hex dump lines)
  SKEYSEED => ...; Sk_d secret => ...; Sk_ai/Sk_ar/Sk_ei/Sk_er/Sk_pi/Sk_pr secret => ...
  natd_chunk => 22 bytes (SPIi | SPIr | IP | port; gives the IKE SPIs)
  parsed|generating <EXCHANGE> request|response <mid> [ ... ]  (role per thread)
  seed => ...; encryption|integrity initiator|responder key => ...
  adding inbound ESP SA / adding|registering outbound ESP SA
    SPI 0x6ea640bc, src 10.241.0.2 dst 10.241.0.1
  CHILD_SA net{1} established with SPIs 6ea640bc_i ad8b9dde_o ...

Exit status: 0 ok, 1 no usable keys / unreadable input, 2 usage.
Standard library only.
"""
import argparse
import json
import os
import re
import struct
import sys

LINE_RE = re.compile(r'^(?:[0-9.:T+-]+ )?(\d+)\[(\w+)\] (?:<([^>]*)> )?(.*)$')
DUMP_HDR_RE = re.compile(r'^(.*?) => (\d+) bytes @ (?:0x)?[0-9a-fA-F]+$')
DUMP_LINE_RE = re.compile(r'^\s+(\d+): ((?:[0-9A-F]{2} ?)+)')
SPI_RE = re.compile(r'^\s+SPI 0x([0-9a-f]{8}), src (\S+) dst (\S+)$')
ENC_RE = re.compile(r'^(parsed|generating) (\S+) (request|response) (\d+)')

IKE_KEY_NAMES = {
    'Sk_d secret': 'sk_d', 'Sk_ai secret': 'sk_ai', 'Sk_ar secret': 'sk_ar',
    'Sk_ei secret': 'sk_ei', 'Sk_er secret': 'sk_er', 'Sk_pi secret': 'sk_pi',
    'Sk_pr secret': 'sk_pr',
}
CHILD_KEY_NAMES = {
    'encryption initiator key': 'encr_i', 'encryption responder key': 'encr_r',
    'integrity initiator key': 'integ_i', 'integrity responder key': 'integ_r',
}

# strongSwan proposal tokens -> strongSwan keywords
ENCR = {
    'AES_CBC_128': 'aes128', 'AES_CBC_192': 'aes192', 'AES_CBC_256': 'aes256',
    'AES_CTR_128': 'aes128ctr', 'AES_CTR_192': 'aes192ctr', 'AES_CTR_256': 'aes256ctr',
    'CHACHA20_POLY1305_256': 'chacha20poly1305', 'CHACHA20_POLY1305': 'chacha20poly1305',
}
for _bits in (128, 192, 256):
    for _icv in (8, 12, 16):
        ENCR['AES_GCM_%d_%d' % (_icv, _bits)] = 'aes%dgcm%d' % (_bits, _icv)
        ENCR['AES_CCM_%d_%d' % (_icv, _bits)] = 'aes%dccm%d' % (_bits, _icv)
INTEG = {
    'HMAC_SHA1_96': 'sha1', 'HMAC_SHA2_256_128': 'sha256', 'HMAC_SHA2_384_192': 'sha384',
    'HMAC_SHA2_512_256': 'sha512', 'AES_XCBC_96': 'aesxcbc', 'HMAC_MD5_96': 'md5',
}
PRF = {
    'PRF_HMAC_SHA1': 'prfsha1', 'PRF_HMAC_SHA2_256': 'prfsha256',
    'PRF_HMAC_SHA2_384': 'prfsha384', 'PRF_HMAC_SHA2_512': 'prfsha512',
    'PRF_AES128_XCBC': 'prfaesxcbc', 'PRF_HMAC_MD5': 'prfmd5',
}
KE = {
    'MODP_1024': 'modp1024', 'MODP_1536': 'modp1536', 'MODP_2048': 'modp2048',
    'MODP_3072': 'modp3072', 'MODP_4096': 'modp4096', 'MODP_6144': 'modp6144',
    'MODP_8192': 'modp8192', 'ECP_256': 'ecp256', 'ECP_384': 'ecp384',
    'ECP_521': 'ecp521', 'CURVE_25519': 'x25519', 'CURVE_448': 'x448',
}


def is_aead(encr):
    return encr is not None and ('gcm' in encr or 'ccm' in encr or encr == 'chacha20poly1305')


def parse_proposal(text):
    """'IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256' -> dict of keywords."""
    proto, _, algs = text.partition(':')
    out = {'protocol': proto.lower(), 'encr': None, 'integ': None, 'prf': None,
           'ke': None, 'esn': None, 'raw': text}
    for tok in algs.split('/'):
        if tok in ENCR:
            out['encr'] = ENCR[tok]
        elif tok in INTEG:
            out['integ'] = INTEG[tok]
        elif tok in PRF:
            out['prf'] = PRF[tok]
        elif tok in KE:
            out['ke'] = KE[tok]
        elif tok in ('NO_EXT_SEQ', 'EXT_SEQ'):
            out['esn'] = tok == 'EXT_SEQ'
        else:
            out.setdefault('unknown', []).append(tok)
    return out


# ---------------------------------------------------------------- log parsing

class Dump:
    def __init__(self, name, length, lines):
        self.name, self.length, self.data, self.lines = name, length, bytearray(), lines

    def done(self):
        return len(self.data) >= self.length


def parse_log(path):
    """Returns (events, trimmed_lines). events: ordered list of
    (thread, group, ike_uid, kind, value) with kind 'msg' (text) or
    'dump' (name, bytes)."""
    events = []
    keep = []          # raw lines to keep for --trim-to
    open_dump = {}     # thread -> (Dump, keep flag)
    with open(path, encoding='utf-8', errors='replace') as f:
        for raw in f:
            raw = raw.rstrip('\n')
            m = LINE_RE.match(raw)
            if not m:
                continue
            thread, group, uid, text = m.group(1), m.group(2), m.group(3), m.group(4)
            cur = open_dump.get(thread)
            if cur is not None:
                dm = DUMP_LINE_RE.match(text)
                if dm and not cur[0].done():
                    cur[0].data += bytes.fromhex(dm.group(2).replace(' ', ''))
                    if cur[1]:
                        keep.append(raw)
                    if cur[0].done():
                        events.append((thread, group, uid, 'dump', (cur[0].name, bytes(cur[0].data))))
                        del open_dump[thread]
                    continue
                del open_dump[thread]   # incomplete dump: dropped
            hm = DUMP_HDR_RE.match(text)
            if hm:
                name, length = hm.group(1), int(hm.group(2))
                wanted = (name in IKE_KEY_NAMES or name in CHILD_KEY_NAMES or
                          name in ('SKEYSEED', 'shared Diffie Hellman secret', 'seed', 'natd_chunk'))
                if wanted:
                    keep.append(raw)
                d = Dump(name, length, [])
                if length == 0:
                    events.append((thread, group, uid, 'dump', (name, b'')))
                else:
                    open_dump[thread] = (d, wanted)
                continue
            events.append((thread, group, uid, 'msg', text))
            if (text.startswith('selected proposal:') or text.startswith('using ') or
                    ENC_RE.match(text) or SPI_RE.match(text) or
                    re.match(r'(adding|registering) (inbound|outbound) ESP SA', text) or
                    'CHILD_SA' in text and 'established with SPIs' in text or
                    text.startswith('initiating IKE_SA') or
                    re.match(r'IKE_SA \S+ established', text) or
                    text.startswith('received DELETE') or text.startswith('sending DELETE')):
                keep.append(raw)
    return events, keep


def build(events):
    """Turn the event stream into IKE SA and Child SA records."""
    ike_sas = []            # in order of SKEYSEED
    ike_by_uid = {}         # uid -> current IKE SA record
    ike_prop = {}           # uid -> last IKE proposal
    esp_prop = {}           # thread -> last ESP proposal
    role = {}               # thread -> 'initiator'|'responder' for the message in work
    spis = {}               # uid -> (spi_i, spi_r) from natd_chunk
    children = []
    open_child = {}         # thread -> child record
    last_spi_kind = {}      # thread -> 'inbound'|'outbound'
    dh = {}                 # thread -> last "shared Diffie Hellman secret"

    for thread, group, uid, kind, value in events:
        if kind == 'msg':
            text = value
            if text.startswith('selected proposal: IKE:'):
                ike_prop[uid] = parse_proposal(text.split(': ', 1)[1])
            elif text.startswith('selected proposal: ESP:') or text.startswith('selected proposal: AH:'):
                esp_prop[thread] = parse_proposal(text.split(': ', 1)[1])
            em = ENC_RE.match(text)
            if em:
                # charon derives Child SA keys while handling a message: the
                # side that parses the response (or generates the request) is
                # the initiator of that exchange
                if em.group(1) == 'parsed':
                    role[thread] = 'initiator' if em.group(3) == 'response' else 'responder'
                else:
                    role[thread] = 'initiator' if em.group(3) == 'request' else 'responder'
            am = re.match(r'(adding|registering) (inbound|outbound) ESP SA', text)
            if am:
                last_spi_kind[thread] = am.group(2)
            sm = SPI_RE.match(text)
            if sm and thread in open_child and thread in last_spi_kind:
                c = open_child[thread]
                c[last_spi_kind[thread]] = {'spi': sm.group(1), 'src': sm.group(2), 'dst': sm.group(3)}
            em2 = re.match(r'(?:inbound |outbound )?CHILD_SA (\S+) established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o', text)
            if em2 and thread in open_child:
                c = open_child[thread]
                c['name'] = em2.group(1)
                c['spi_in'], c['spi_out'] = em2.group(2), em2.group(3)
            continue
        name, data = value
        if name == 'natd_chunk' and len(data) in (22, 34):
            spi_i, spi_r = data[0:8].hex(), data[8:16].hex()
            if spi_r != '0' * 16 and uid not in spis:
                spis[uid] = (spi_i, spi_r)
                if uid in ike_by_uid and ike_by_uid[uid].get('spi_i') is None:
                    ike_by_uid[uid]['spi_i'], ike_by_uid[uid]['spi_r'] = spi_i, spi_r
        elif name == 'shared Diffie Hellman secret':
            # logged right before SKEYSEED for IKE_SA_INIT (and for PFS Child
            # SAs before their seed): remember it per thread
            dh[thread] = data
        elif name == 'SKEYSEED':
            rec = {'uid': uid, 'skeyseed': data, 'dh_shared_secret': dh.pop(thread, None),
                   'proposal': ike_prop.get(uid), 'spi_i': None, 'spi_r': None}
            if uid in spis and uid not in ike_by_uid:
                rec['spi_i'], rec['spi_r'] = spis[uid]
            ike_sas.append(rec)
            ike_by_uid[uid] = rec
        elif name in IKE_KEY_NAMES:
            rec = ike_by_uid.get(uid)
            if rec is not None:
                rec[IKE_KEY_NAMES[name]] = data
        elif name == 'seed':
            c = {'uid': uid, 'seed': data, 'role': role.get(thread),
                 'proposal': esp_prop.get(thread),
                 'pfs_dh_shared_secret': dh.pop(thread, None)}
            children.append(c)
            open_child[thread] = c
            last_spi_kind.pop(thread, None)
        elif name in CHILD_KEY_NAMES:
            c = open_child.get(thread)
            if c is not None:
                c[CHILD_KEY_NAMES[name]] = data
    return ike_sas, children


# --------------------------------------------------------------- pcap parsing

def read_pcap_ike(path):
    """IKE messages from a classic pcap: list of dicts (frame, spi_i, spi_r,
    exchange, flags, mid, payloads {type: [body,...]} for unencrypted ones)."""
    out = []
    with open(path, 'rb') as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise ValueError('%s: not a pcap file' % path)
        magic = hdr[:4]
        if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
            end = '<'
        elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
            end = '>'
        else:
            raise ValueError('%s: not a classic pcap file (pcapng? use dumpcap -P)' % path)
        linktype = struct.unpack(end + 'I', hdr[20:24])[0]
        frame = 0
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                break
            incl = struct.unpack(end + 'IIII', rh)[2]
            pkt = f.read(incl)
            frame += 1
            ip = link_payload(pkt, linktype)
            if ip is None:
                continue
            udp = ip_udp_payload(ip)
            if udp is None:
                continue
            sport, dport, body = udp
            if 4500 in (sport, dport):
                if body[:4] != b'\0\0\0\0':
                    continue    # ESP in UDP
                body = body[4:]
            elif 500 not in (sport, dport):
                continue
            msg = parse_ike(body)
            if msg:
                msg['frame'] = frame
                out.append(msg)
    return out


def link_payload(pkt, linktype):
    if linktype == 1:       # Ethernet
        off, etype = 14, struct.unpack('!H', pkt[12:14])[0]
        while etype == 0x8100:
            etype = struct.unpack('!H', pkt[off + 2:off + 4])[0]
            off += 4
        return pkt[off:] if etype in (0x0800, 0x86dd) else None
    if linktype in (101, 12, 14):  # raw IP
        return pkt
    if linktype == 113:     # Linux cooked
        return pkt[16:] if struct.unpack('!H', pkt[14:16])[0] in (0x0800, 0x86dd) else None
    if linktype == 0:       # BSD loopback
        return pkt[4:]
    return None


def ip_udp_payload(ip):
    if not ip:
        return None
    v = ip[0] >> 4
    if v == 4:
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17 or struct.unpack('!H', ip[6:8])[0] & 0x3fff:
            return None     # not UDP, or an IP fragment
        udp = ip[ihl:]
    elif v == 6:
        if ip[6] != 17:
            return None
        udp = ip[40:]
    else:
        return None
    if len(udp) < 8:
        return None
    sport, dport, length = struct.unpack('!HHH', udp[:6])
    return sport, dport, udp[8:length]


def parse_ike(b):
    if len(b) < 28:
        return None
    np, ver, exch, flags, mid, length = struct.unpack('!BBBBII', b[16:28])
    if ver >> 4 != 2:
        return None
    msg = {'spi_i': b[0:8].hex(), 'spi_r': b[8:16].hex(), 'exchange': exch,
           'flags': flags, 'mid': mid, 'payloads': {}}
    off = 28
    while np and off + 4 <= min(len(b), length):
        nxt, plen = b[off], struct.unpack('!H', b[off + 2:off + 4])[0]
        if plen < 4:
            break
        msg['payloads'].setdefault(np, []).append(b[off + 4:off + plen])
        if np in (46, 53):  # SK / SKF: the rest is encrypted
            break
        np, off = nxt, off + plen
    return msg


# --------------------------------------------------------------- output

WS_IKE_ENCR = {
    'aes128': 'AES-CBC-128 [RFC3602]', 'aes192': 'AES-CBC-192 [RFC3602]', 'aes256': 'AES-CBC-256 [RFC3602]',
    'aes128ctr': 'AES-CTR-128 [RFC5930]', 'aes192ctr': 'AES-CTR-192 [RFC5930]', 'aes256ctr': 'AES-CTR-256 [RFC5930]',
}
for _bits in (128, 192, 256):
    for _icv in (8, 12, 16):
        WS_IKE_ENCR['aes%dgcm%d' % (_bits, _icv)] = 'AES-GCM-%d with %d octet ICV [RFC5282]' % (_bits, _icv)
        WS_IKE_ENCR['aes%dccm%d' % (_bits, _icv)] = 'AES-CCM-%d with %d octet ICV [RFC5282]' % (_bits, _icv)
WS_IKE_INTEG = {
    None: 'NONE [RFC4306]', 'sha1': 'HMAC_SHA1_96 [RFC2404]', 'md5': 'HMAC_MD5_96 [RFC2403]',
    'sha256': 'HMAC_SHA2_256_128 [RFC4868]', 'sha384': 'HMAC_SHA2_384_192 [RFC4868]',
    'sha512': 'HMAC_SHA2_512_256 [RFC4868]',
}
WS_ESP_ENCR = {'aes128': 'AES-CBC [RFC3602]', 'aes192': 'AES-CBC [RFC3602]', 'aes256': 'AES-CBC [RFC3602]',
               'aes128ctr': 'AES-CTR [RFC3686]', 'aes192ctr': 'AES-CTR [RFC3686]', 'aes256ctr': 'AES-CTR [RFC3686]'}
for _bits in (128, 192, 256):
    for _icv in (8, 12, 16):
        WS_ESP_ENCR['aes%dgcm%d' % (_bits, _icv)] = 'AES-GCM with %d octet ICV [RFC4106]' % _icv
WS_ESP_INTEG = {
    None: 'NULL', 'sha1': 'HMAC-SHA-1-96 [RFC2404]', 'md5': 'HMAC-MD5-96 [RFC2403]',
    'sha256': 'HMAC-SHA-256-128 [RFC4868]', 'sha384': 'HMAC-SHA-384-192 [RFC4868]',
    'sha512': 'HMAC-SHA-512-256 [RFC4868]',
}


def hx(b):
    return None if b is None else b.hex()


def child_sa_lines(c, warn):
    """Two ESP SAs per Child SA: (spi, src, dst, encr_key, integ_key)."""
    prop = c.get('proposal') or {}
    if c.get('role') not in ('initiator', 'responder'):
        warn('Child SA with seed %s...: role unknown (no "parsed ... request/response" line; '
             'log needs enc = 1), skipped' % hx(c['seed'])[:16])
        return []
    out = []
    for direction in ('inbound', 'outbound'):
        sa = c.get(direction)
        if sa is None:
            warn('Child SA %s: no %s SPI line' % (c.get('name'), direction))
            continue
        # keys "initiator" protect traffic from the exchange initiator to the responder
        from_initiator = (direction == 'outbound') == (c['role'] == 'initiator')
        sfx = 'i' if from_initiator else 'r'
        encr_key, integ_key = c.get('encr_' + sfx), c.get('integ_' + sfx)
        if encr_key is None:
            warn('Child SA %s: missing encryption %s key' % (c.get('name'), 'initiator' if sfx == 'i' else 'responder'))
            continue
        out.append({'type': 'child_sa', 'spi': sa['spi'], 'dst': sa['dst'], 'src': sa['src'],
                    'protocol': prop.get('protocol', 'esp'), 'encr': prop.get('encr'),
                    'integ': prop.get('integ'), 'encr_key': hx(encr_key),
                    'integ_key': hx(integ_key) if integ_key else None})
    return out


def main():
    ap = argparse.ArgumentParser(description='extract IKE/ESP keys from a charon level-4 log')
    ap.add_argument('log')
    ap.add_argument('pcap', nargs='?')
    ap.add_argument('--pcap', dest='pcap_opt')
    ap.add_argument('-o', '--outdir', required=True)
    ap.add_argument('--trim-to')
    ap.add_argument('--scenario')
    ap.add_argument('--ike-proposal')
    ap.add_argument('--esp-proposal')
    ap.add_argument('--auth')
    ap.add_argument('--strongswan-version')
    ap.add_argument('--command')
    a = ap.parse_args()
    pcap = a.pcap or a.pcap_opt
    warnings = []

    def warn(msg):
        warnings.append(msg)
        print('swan-keys: warning: ' + msg, file=sys.stderr)

    try:
        events, keep = parse_log(a.log)
    except OSError as e:
        print('swan-keys: %s' % e, file=sys.stderr)
        return 1
    ike_sas, children = build(events)
    if not ike_sas:
        print('swan-keys: no SKEYSEED/Sk_* lines in %s (log needs ike = 4)' % a.log, file=sys.stderr)
        return 1

    pcap_msgs = []
    if pcap:
        try:
            pcap_msgs = read_pcap_ike(pcap)
        except (OSError, ValueError, struct.error) as e:
            print('swan-keys: %s' % e, file=sys.stderr)
            return 1
    inits = {}   # (spi_i, spi_r) -> info from IKE_SA_INIT
    for m in pcap_msgs:
        if m['exchange'] != 34:
            continue
        resp = bool(m['flags'] & 0x20)
        key = m['spi_i']
        info = inits.setdefault(key, {'spi_i': m['spi_i'], 'spi_r': None})
        if resp and m['spi_r'] != '0' * 16:
            info['spi_r'] = m['spi_r']
        side = 'r' if resp else 'i'
        if 40 in m['payloads']:
            info['nonce_' + side] = m['payloads'][40][0].hex()
        if 34 in m['payloads']:
            ke = m['payloads'][34][0]
            info['ke_' + side] = {'group': struct.unpack('!H', ke[0:2])[0], 'data': ke[4:].hex()}
        info.setdefault('frames', []).append(m['frame'])

    # IKE SPIs: log first, else the capture's IKE_SA_INIT with a responder
    complete_inits = [i for i in inits.values() if i.get('spi_r') and i.get('nonce_r')]
    for n, rec in enumerate(ike_sas):
        if rec['spi_i'] is None:
            if n < len(complete_inits):
                rec['spi_i'], rec['spi_r'] = complete_inits[n]['spi_i'], complete_inits[n]['spi_r']
            else:
                warn('IKE SA #%d: SPIs neither in the log nor in a capture IKE_SA_INIT' % n)

    os.makedirs(os.path.join(a.outdir, 'wireshark'), exist_ok=True)
    lines = []
    ws_ike = ['# ikev2_decryption_table: generated by tests/interop/swan-keys.py',
              '# ispi,rspi,sk_ei,sk_er,"encr",sk_ai,sk_ar,"integ"']
    ws_esp = ['# esp_sa: generated by tests/interop/swan-keys.py',
              '# "family","src","dst","spi","encr","0xkey","integ","0xkey"']
    meta_ike = []
    for rec in ike_sas:
        p = rec.get('proposal') or {}
        missing = [k for k in ('sk_d', 'sk_ei', 'sk_er', 'sk_pi', 'sk_pr') if k not in rec]
        if missing:
            warn('IKE SA %s: missing %s' % (rec.get('spi_i'), ', '.join(missing)))
            continue
        aead = is_aead(p.get('encr'))
        obj = {'type': 'ike_sa', 'spi_i': rec['spi_i'], 'spi_r': rec['spi_r'],
               'sk_d': hx(rec['sk_d']),
               'sk_ai': None if aead else hx(rec.get('sk_ai')),
               'sk_ar': None if aead else hx(rec.get('sk_ar')),
               'sk_ei': hx(rec['sk_ei']), 'sk_er': hx(rec['sk_er']),
               'sk_pi': hx(rec['sk_pi']), 'sk_pr': hx(rec['sk_pr']),
               'encr': p.get('encr'), 'integ': p.get('integ'), 'prf': p.get('prf'), 'ke': p.get('ke')}
        lines.append(obj)
        enc_name = WS_IKE_ENCR.get(p.get('encr'))
        integ_name = WS_IKE_INTEG.get(p.get('integ'))
        if enc_name and integ_name and rec['spi_i']:
            ws_ike.append('%s,%s,%s,%s,"%s",%s,%s,"%s"' % (
                rec['spi_i'], rec['spi_r'], obj['sk_ei'], obj['sk_er'], enc_name,
                obj['sk_ai'] or '', obj['sk_ar'] or '', integ_name))
        else:
            warn('IKE SA %s: no Wireshark name for %s/%s, not in ikev2_decryption_table'
                 % (rec['spi_i'], p.get('encr'), p.get('integ')))
        init = inits.get(rec['spi_i'], {})
        meta_ike.append({
            'spi_i': rec['spi_i'], 'spi_r': rec['spi_r'], 'proposal': p.get('raw'),
            'encr': p.get('encr'), 'integ': p.get('integ'), 'prf': p.get('prf'), 'ke': p.get('ke'),
            'dh_shared_secret': hx(rec.get('dh_shared_secret')), 'skeyseed': hx(rec['skeyseed']),
            'nonce_i': init.get('nonce_i'), 'nonce_r': init.get('nonce_r'),
            'ke_i': init.get('ke_i'), 'ke_r': init.get('ke_r'),
            'ike_sa_init_frames': init.get('frames'),
        })

    meta_children = []
    for c in children:
        sas = child_sa_lines(c, warn)
        lines.extend(sas)
        p = c.get('proposal') or {}
        enc_name = WS_ESP_ENCR.get(p.get('encr'))
        integ_name = WS_ESP_INTEG.get(p.get('integ'))
        for sa in sas:
            if enc_name and integ_name:
                ws_esp.append('"%s","%s","%s","0x%s","%s","0x%s","%s","0x%s"' % (
                    'IPv6' if ':' in sa['dst'] else 'IPv4', sa['src'], sa['dst'], sa['spi'],
                    enc_name, sa['encr_key'], integ_name, sa['integ_key'] or ''))
            else:
                warn('ESP SA %s: no Wireshark name for %s/%s, not in esp_sa'
                     % (sa['spi'], p.get('encr'), p.get('integ')))
        seed = c['seed']
        mc = {'name': c.get('name'), 'role_of_logging_side': c.get('role'),
              'spi_in': c.get('spi_in'), 'spi_out': c.get('spi_out'), 'proposal': p.get('raw'),
              'keymat_seed': hx(seed), 'pfs_dh_shared_secret': hx(c.get('pfs_dh_shared_secret'))}
        # KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr)  (RFC 7296 2.17)
        nonces = seed[len(c['pfs_dh_shared_secret']):] if c.get('pfs_dh_shared_secret') else seed
        first = next((m for m in meta_ike if m['nonce_i'] and m['nonce_r']), None)
        if first and nonces == bytes.fromhex(first['nonce_i'] + first['nonce_r']):
            mc['nonce_i'], mc['nonce_r'], mc['nonces_from'] = first['nonce_i'], first['nonce_r'], 'IKE_SA_INIT'
        elif len(nonces) % 2 == 0:
            h = len(nonces) // 2
            mc['nonce_i'], mc['nonce_r'] = nonces[:h].hex(), nonces[h:].hex()
            mc['nonces_from'] = 'keymat seed split in halves (strongSwan sends 32-byte nonces)'
        meta_children.append(mc)

    with open(os.path.join(a.outdir, 'keys.jsonl'), 'w') as f:
        for obj in lines:
            f.write(json.dumps(obj, separators=(',', ':')) + '\n')
    with open(os.path.join(a.outdir, 'wireshark', 'ikev2_decryption_table'), 'w') as f:
        f.write('\n'.join(ws_ike) + '\n')
    with open(os.path.join(a.outdir, 'wireshark', 'esp_sa'), 'w') as f:
        f.write('\n'.join(ws_esp) + '\n')
    with open(os.path.join(a.outdir, 'wireshark', 'preferences'), 'w') as f:
        f.write('# generated by tests/interop/swan-keys.py\n'
                '# ESP decryption is off by default in Wireshark\n'
                'esp.enable_encryption_decode: TRUE\n'
                'esp.enable_authentication_check: TRUE\n')
    meta = {'scenario': a.scenario, 'ike_proposal': a.ike_proposal, 'esp_proposal': a.esp_proposal,
            'auth': a.auth, 'strongswan_version': a.strongswan_version, 'command': a.command,
            'made_with': 'tests/interop/capture-swan-pair.sh (left charon initiates; '
                         'keys from the left charon log at ike=4 chd=4)',
            'ike_sas': meta_ike, 'child_sas': meta_children, 'warnings': warnings}
    with open(os.path.join(a.outdir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    if a.trim_to:
        with open(a.trim_to, 'w') as f:
            f.write('\n'.join(keep) + '\n')
    n_child = sum(1 for o in lines if o['type'] == 'child_sa')
    print('swan-keys: %d IKE SA(s), %d ESP SA(s) -> %s' % (len(lines) - n_child, n_child, a.outdir),
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
