// mobileconfig: an Apple configuration profile (iOS, macOS) for an IKEv2 connection with
// EAP: a com.apple.security.root payload (the CA that issued the server's certificate)
// and a com.apple.vpn.managed payload (VPNType IKEv2). Keys as Apple documents them in
// Device Management "VPN", "VPN.IKEv2" and "VPN.IKEv2.IKESecurityAssociationParameters".
#include "base/base64.hpp"
#include "profile_algorithms.hpp"
#include "profile_common.hpp"

namespace ikekit::ctl {

namespace {

// A plist (XML property list) written as it is built, indented by nesting.
class Plist {
public:
  Plist() {
    out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
           "<plist version=\"1.0\">\n";
  }
  void key(std::string_view k) { line("<key>" + xml_escape(k) + "</key>"); }
  void string(std::string_view k, std::string_view v) {
    key(k);
    line("<string>" + xml_escape(v) + "</string>");
  }
  void integer(std::string_view k, long v) {
    key(k);
    line("<integer>" + std::to_string(v) + "</integer>");
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    line(v ? "<true/>" : "<false/>");
  }
  void data(std::string_view k, ByteView v) {
    key(k);
    line("<data>" + to_base64(v) + "</data>");
  }
  void open(std::string_view tag) { line("<" + std::string(tag) + ">"), ++depth_; }
  void close(std::string_view tag) { --depth_, line("</" + std::string(tag) + ">"); }
  std::string finish() { return out_ + "</plist>\n"; }

private:
  void line(const std::string& s) { out_ += std::string(size_t(depth_) * 2, ' ') + s + "\n"; }
  std::string out_;
  int depth_ = 0;
};

void sa_parameters(Plist& p, std::string_view key, const PlatformSa& sa, bool ike) {
  p.key(key);
  p.open("dict");
  p.string("EncryptionAlgorithm", sa.encr);
  if (ike || sa.integ_t) p.string("IntegrityAlgorithm", sa.integ);
  // Without PFS the Child SA's group is not used (EnablePFS false); the IKE SA's is set
  // so that a later PFS switch in the UI does not pick a group the server refuses.
  p.integer("DiffieHellmanGroup", std::stol(sa.group.empty() ? "0" : sa.group));
  p.close("dict");
}

void payload_header(Plist& p, std::string_view type, const std::string& id,
                    const std::string& name) {
  p.string("PayloadType", type);
  p.integer("PayloadVersion", 1);
  p.string("PayloadIdentifier", id);
  p.string("PayloadUUID", name_uuid(id));
  p.string("PayloadDisplayName", name);
}

void ikev2_dict(Plist& p, const ClientSide& c, const PlatformSa& ike, const PlatformSa& esp,
                const ProfileOptions& o) {
  p.key("IKEv2");
  p.open("dict");
  p.string("RemoteAddress", c.remote_address);
  p.string("RemoteIdentifier", c.facts.server_id);
  p.string("LocalIdentifier", o.user);
  // The server proves itself with its certificate; the client with EAP only
  // (AuthenticationMethod None + ExtendedAuthEnabled, RFC 7296 2.16).
  p.string("AuthenticationMethod", "None");
  p.integer("ExtendedAuthEnabled", 1);
  p.string("AuthName", o.user);
  if (o.password) p.string("AuthPassword", *o.password);
  if (auto cn = c.ca.common_name()) p.string("ServerCertificateIssuerCommonName", *cn);
  sa_parameters(p, "IKESecurityAssociationParameters", ike, true);
  sa_parameters(p, "ChildSecurityAssociationParameters", esp, false);
  p.integer("EnablePFS", esp.ke_t ? 1 : 0);
  if (o.on_demand) {
    p.integer("OnDemandEnabled", 1);
    p.key("OnDemandRules");
    p.open("array");
    p.open("dict");
    p.string("Action", "Connect");
    p.close("dict");
    p.close("array");
  }
  if (o.include_all_networks) p.integer("IncludeAllNetworks", 1);
  p.close("dict");
}

} // namespace

Result<std::string> write_mobileconfig(const ClientSide& c, const ProfileOptions& o) {
  auto ike = pick_ike(Platform::apple, c.facts.ike_proposals);
  if (!ike) return ike.error();
  auto esp = pick_esp(Platform::apple, c.facts.esp_proposals);
  if (!esp) return esp.error();
  const std::string base = "org.ikekit.profile." + c.facts.conn + "." + o.user;
  Plist p;
  p.open("dict");
  p.key("PayloadContent");
  p.open("array");
  p.open("dict");
  payload_header(p, "com.apple.security.root", base + ".ca", c.ca.common_name().value_or("VPN CA"));
  p.string("PayloadCertificateFileName", c.facts.conn + "-ca.cer");
  p.data("PayloadContent", c.ca.der());
  p.close("dict");
  p.open("dict");
  payload_header(p, "com.apple.vpn.managed", base + ".vpn", "VPN " + c.facts.conn);
  p.string("UserDefinedName", c.facts.conn);
  p.string("VPNType", "IKEv2");
  ikev2_dict(p, c, *ike, *esp, o);
  p.close("dict");
  p.close("array");
  payload_header(p, "Configuration", base, "VPN " + c.facts.conn + " (" + o.user + ")");
  p.close("dict");
  return p.finish();
}

} // namespace ikekit::ctl
