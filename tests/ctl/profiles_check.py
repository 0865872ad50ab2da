#!/usr/bin/env python3
"""profiles_check.py DIR SERVER IA_NET: parse the profiles ikectl wrote into DIR/out
(mobileconfig with plistlib, sswan with json, powershell with a small parser), check
them against the keys and values each platform documents, and print a swanctl.conf
whose connections (apple, android, windows) use exactly the algorithms, identities and
CA each profile carries, so charon connecting with them proves the profile would.

Documented names: Apple Device Management "VPN", "VPN.IKEv2",
"VPN.IKEv2.IKESecurityAssociationParameters"; docs.strongswan.org "VPN Profile Import
for the Android VPN Client"; Microsoft Add-VpnConnection and
Set-VpnConnectionIPsecConfiguration."""
import base64, json, os, plistlib, re, shlex, sys

W, SERVER, IA_NET = sys.argv[1:4]
OUT = os.path.join(W, "out")
CA_DER = open(os.path.join(W, "ca.der"), "rb").read()

# ---- Apple ---------------------------------------------------------------------------
APPLE_TOP = {"PayloadContent", "PayloadType", "PayloadVersion", "PayloadIdentifier",
             "PayloadUUID", "PayloadDisplayName", "PayloadDescription", "PayloadOrganization",
             "PayloadRemovalDisallowed"}
APPLE_PAYLOAD = APPLE_TOP | {"PayloadCertificateFileName", "UserDefinedName", "VPNType",
                             "IKEv2", "VPNSubType"}
APPLE_IKEV2 = {"RemoteAddress", "RemoteIdentifier", "LocalIdentifier", "AuthenticationMethod",
               "ExtendedAuthEnabled", "AuthName", "AuthPassword",
               "ServerCertificateIssuerCommonName", "ServerCertificateCommonName",
               "IKESecurityAssociationParameters", "ChildSecurityAssociationParameters",
               "EnablePFS", "OnDemandEnabled", "OnDemandRules", "IncludeAllNetworks",
               "ExcludeLocalNetworks", "DeadPeerDetectionRate", "DisableMOBIKE",
               "DisableRedirect", "EnableCertificateRevocationCheck", "UseConfigurationAttributeInternalIPSubnet",
               "EnableFallback", "MTU", "PayloadCertificateUUID"}
APPLE_SA = {"EncryptionAlgorithm", "IntegrityAlgorithm", "DiffieHellmanGroup", "LifeTimeInMinutes"}
APPLE_ENCR = {"AES-128": "aes128", "AES-256": "aes256", "AES-128-GCM": "aes128gcm16",
              "AES-256-GCM": "aes256gcm16", "ChaCha20Poly1305": "chacha20poly1305"}
APPLE_INTEG = {"SHA1-96": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384", "SHA2-512": "sha512"}
GROUPS = {2: "modp1024", 14: "modp2048", 15: "modp3072", 16: "modp4096", 17: "modp6144",
          18: "modp8192", 19: "ecp256", 20: "ecp384", 21: "ecp521", 31: "x25519", 32: "x448"}
AEAD = {"aes128gcm16", "aes256gcm16", "aes192gcm16", "chacha20poly1305"}


def subset(keys, allowed, where):
    extra = set(keys) - allowed
    assert not extra, f"{where}: keys the platform does not document: {sorted(extra)}"


def proposal(encr, integ, group, ike):
    """strongSwan syntax for one algorithm each; the IKE PRF follows the integrity name."""
    parts = [encr]
    if encr not in AEAD and integ:
        parts.append(integ)
    if ike:
        parts.append("prf" + integ)
    if group:
        parts.append(group)
    return "-".join(parts)


def apple():
    doc = plistlib.load(open(os.path.join(OUT, "carol.mobileconfig"), "rb"))
    subset(doc, APPLE_TOP, "mobileconfig")
    assert doc["PayloadType"] == "Configuration" and doc["PayloadVersion"] == 1, doc
    by_type = {p["PayloadType"]: p for p in doc["PayloadContent"]}
    assert set(by_type) == {"com.apple.security.root", "com.apple.vpn.managed"}, by_type.keys()
    uuids = [doc["PayloadUUID"]] + [p["PayloadUUID"] for p in doc["PayloadContent"]]
    assert len(set(uuids)) == 3 and all(re.fullmatch(r"[0-9a-f-]{36}", u) for u in uuids), uuids
    root = by_type["com.apple.security.root"]
    subset(root, APPLE_PAYLOAD, "com.apple.security.root")
    assert root["PayloadContent"] == CA_DER, "the root payload is not the CA"
    vpn = by_type["com.apple.vpn.managed"]
    subset(vpn, APPLE_PAYLOAD, "com.apple.vpn.managed")
    assert vpn["VPNType"] == "IKEv2", vpn
    ike = vpn["IKEv2"]
    subset(ike, APPLE_IKEV2, "IKEv2")
    assert ike["RemoteAddress"] == SERVER and ike["RemoteIdentifier"] == "left.ia.test", ike
    assert ike["LocalIdentifier"] == ike["AuthName"] == "carol", ike
    assert ike["AuthenticationMethod"] == "None" and ike["ExtendedAuthEnabled"] == 1, ike
    assert "AuthPassword" not in ike, "a password without --include-password"
    assert ike["ServerCertificateIssuerCommonName"] == "ia-test ecdsa CA", ike
    assert ike["OnDemandEnabled"] == 1 and ike["OnDemandRules"] == [{"Action": "Connect"}], ike
    assert ike["IncludeAllNetworks"] == 1, ike
    sa, child = ike["IKESecurityAssociationParameters"], ike["ChildSecurityAssociationParameters"]
    subset(sa, APPLE_SA, "IKESecurityAssociationParameters")
    subset(child, APPLE_SA, "ChildSecurityAssociationParameters")
    ike_p = proposal(APPLE_ENCR[sa["EncryptionAlgorithm"]], APPLE_INTEG[sa["IntegrityAlgorithm"]],
                     GROUPS[sa["DiffieHellmanGroup"]], True)
    encr = APPLE_ENCR[child["EncryptionAlgorithm"]]
    integ = APPLE_INTEG.get(child.get("IntegrityAlgorithm", ""), "")
    pfs = GROUPS[child["DiffieHellmanGroup"]] if ike.get("EnablePFS") else ""
    esp_p = proposal(encr, integ, pfs, False)
    open(os.path.join(OUT, "apple-ca.der"), "wb").write(root["PayloadContent"])
    return "apple", "carol", ike["RemoteAddress"], ike["RemoteIdentifier"], ike_p, esp_p, "apple-ca.der"


# ---- strongSwan Android --------------------------------------------------------------
SSWAN_TOP = {"uuid", "name", "type", "remote", "local", "ike-proposal", "esp-proposal", "mtu",
             "dns-servers", "nat-keepalive", "split-tunneling", "proxy", "flags",
             "included-apps", "excluded-apps"}
SSWAN_REMOTE = {"addr", "port", "id", "cert", "certreq", "revocation"}
SSWAN_LOCAL = {"eap_id", "id", "p12", "rsa-pss"}


def android():
    doc = json.load(open(os.path.join(OUT, "dave.sswan")))
    subset(doc, SSWAN_TOP, "sswan")
    subset(doc["remote"], SSWAN_REMOTE, "sswan remote")
    subset(doc["local"], SSWAN_LOCAL, "sswan local")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", doc["uuid"]), doc
    assert doc["type"] == "ikev2-eap" and doc["name"] == "rw", doc
    assert doc["local"]["eap_id"] == "dave", doc
    der = base64.b64decode(doc["remote"]["cert"], validate=True)
    assert der == CA_DER, "remote.cert is not the CA"
    open(os.path.join(OUT, "android-ca.der"), "wb").write(der)
    return ("android", "dave", doc["remote"]["addr"], doc["remote"]["id"], doc["ike-proposal"],
            doc["esp-proposal"], "android-ca.der")


# ---- Windows PowerShell --------------------------------------------------------------
PS_PARAMS = {
    "Add-VpnConnection": {"Name", "ServerAddress", "TunnelType", "AuthenticationMethod",
                          "EncryptionLevel", "RememberCredential", "Force", "SplitTunneling",
                          "AllUserConnection", "DnsSuffix", "PassThru"},
    "Set-VpnConnectionIPsecConfiguration": {"ConnectionName", "EncryptionMethod",
                                            "IntegrityCheckMethod", "DHGroup",
                                            "CipherTransformConstants",
                                            "AuthenticationTransformConstants", "PfsGroup",
                                            "Force", "PassThru", "AllUserConnection"},
    "Import-Certificate": {"FilePath", "CertStoreLocation"},
    "Set-Content": {"Path", "Value", "Encoding"},
}
PS_VALUES = {
    "TunnelType": {"Pptp", "L2tp", "Sstp", "Ikev2", "Automatic"},
    "AuthenticationMethod": {"Pap", "Chap", "MSChapv2", "Eap", "MachineCertificate"},
    "EncryptionLevel": {"NoEncryption", "Optional", "Required", "Maximum", "Custom"},
    "EncryptionMethod": {"DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES256"},
    "IntegrityCheckMethod": {"MD5", "SHA1", "SHA256", "SHA384"},
    "DHGroup": {"None", "Group1", "Group2", "Group14", "ECP256", "ECP384", "Group24"},
    "CipherTransformConstants": {"DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128",
                                 "GCMAES192", "GCMAES256", "None"},
    "AuthenticationTransformConstants": {"MD596", "SHA196", "SHA256128", "GCMAES128",
                                         "GCMAES192", "GCMAES256", "None"},
    "PfsGroup": {"None", "PFS1", "PFS2", "PFS2048", "ECP256", "ECP384", "PFSMM", "PFS24"},
}
WIN_ENCR = {"AES128": "aes128", "AES192": "aes192", "AES256": "aes256",
            "GCMAES128": "aes128gcm16", "GCMAES192": "aes192gcm16", "GCMAES256": "aes256gcm16"}
WIN_INTEG = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA196": "sha1",
             "SHA256128": "sha256"}
WIN_GROUP = {"Group2": "modp1024", "Group14": "modp2048", "ECP256": "ecp256", "ECP384": "ecp384",
             "PFS2": "modp1024", "PFS2048": "modp2048", "None": ""}


def powershell():
    text = open(os.path.join(OUT, "erin.ps1")).read()
    pem = re.search(r"\$CaPem = @'\n(.*?)'@\n", text, re.S).group(1)
    body = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    assert base64.b64decode(body) == CA_DER, "the script's CA is not the CA"
    calls = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or line.startswith("$") or line.startswith("-----") \
                or "@'" in line or line == "'@" or re.fullmatch(r"[A-Za-z0-9+/=]+", line):
            continue
        words = shlex.split(line.split("|")[0], posix=True)
        cmd, params, i = words[0], {}, 1
        assert cmd in PS_PARAMS, f"cmdlet {cmd}"
        while i < len(words):
            assert words[i].startswith("-"), f"{cmd}: {words[i]}"
            name = words[i][1:]
            assert name in PS_PARAMS[cmd], f"{cmd} has no -{name}"
            if i + 1 < len(words) and not words[i + 1].startswith("-"):
                params[name] = words[i + 1]
                i += 2
            else:
                params[name] = True
                i += 1
            if name in PS_VALUES:
                assert params[name] in PS_VALUES[name], f"-{name} {params[name]}"
        calls[cmd] = params
    add, ipsec = calls["Add-VpnConnection"], calls["Set-VpnConnectionIPsecConfiguration"]
    assert add["TunnelType"] == "Ikev2" and add["AuthenticationMethod"] == "Eap", add
    assert ipsec["ConnectionName"] == add["Name"] == "rw", ipsec
    assert calls["Import-Certificate"]["CertStoreLocation"] == "Cert:\\LocalMachine\\Root"
    integ = WIN_INTEG[ipsec["IntegrityCheckMethod"]]
    ike_p = proposal(WIN_ENCR[ipsec["EncryptionMethod"]], integ, WIN_GROUP[ipsec["DHGroup"]], True)
    auth = ipsec["AuthenticationTransformConstants"]
    encr = WIN_ENCR[ipsec["CipherTransformConstants"]]
    assert (encr in AEAD) == auth.startswith("GCM"), ipsec
    esp_p = proposal(encr, WIN_INTEG.get(auth, ""), WIN_GROUP[ipsec["PfsGroup"]], False)
    open(os.path.join(OUT, "windows-ca.der"), "wb").write(base64.b64decode(body))
    # Windows checks the server's certificate against the address it dials; the server's
    # identity is its certificate's subjectAltName.
    return "windows", "erin", add["ServerAddress"], "left.ia.test", ike_p, esp_p, "windows-ca.der"


conns = [apple(), android(), powershell()]
print("connections {")
for name, user, addr, rid, ike_p, esp_p, ca in conns:
    print(f"""  {name} {{
    version = 2
    remote_addrs = {addr}
    vips = 0.0.0.0
    proposals = {ike_p}
    local {{
      auth = eap-mschapv2
      id = {user}
      eap_id = {user}
    }}
    remote {{
      auth = pubkey
      id = {rid}
      cacerts = {os.path.join(OUT, ca)}
    }}
    children {{
      net {{
        remote_ts = 0.0.0.0/0
        esp_proposals = {esp_p}
      }}
    }}
  }}""")
    print(f"# {name}: IKE {ike_p}, ESP {esp_p}", file=sys.stderr)
print("}\nsecrets {")
for name, user, *_ in conns:
    print(f'  eap-{user} {{\n    id = {user}\n    secret = "pw of {user}"\n  }}')
print("}")
