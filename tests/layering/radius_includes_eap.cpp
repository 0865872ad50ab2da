// Compiled against the radius layer only: eap and radius are siblings (RFC 3579 carries
// EAP packets as opaque bytes), so this include must not resolve; against eap it builds.
#include "eap/packet.hpp"

int layering_probe_eap() { return 0; }
