// Notify payload, RFC 7296 3.10.
// |  Protocol ID  |   SPI Size    |      Notify Message Type      |
// ~                Security Parameter Index (SPI)                 ~
// ~                       Notification Data                       ~
// Protocol ID and SPI Size are 0 for notifications about the IKE SA (3.10).
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/ids.hpp"

namespace ikekit::wire {

struct NotifyPayload {
  ProtocolId protocol = ProtocolId(0);
  ByteView spi;
  NotifyType type = NotifyType(0);
  ByteView data;

  bool is_error() const { return is_error_notify(type); }
};

// Errors: "notify.protocol_id", "notify.spi_size", "notify.type", "notify.spi".
Result<NotifyPayload> parse_notify(ByteView body);
void write_body(Writer& w, const NotifyPayload& p);
Result<size_t> serialize(const NotifyPayload& p, MutBytes out);

} // namespace ikekit::wire
