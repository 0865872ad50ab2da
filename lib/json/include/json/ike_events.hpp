// ike-up's event stream (schema ikekit.ike-up/1, ikekit-json(7)) and the key log
// (ikekit.keylog/1). Events never carry keys; only keylog_lines() renders SaKeys.
#pragma once

#include "ike/engine.hpp"

#include "json/output.hpp"
#include <string>
#include <string_view>
#include <vector>

namespace ikekit::json {

inline constexpr std::string_view kSchemaIkeUp = "ikekit.ike-up/1";

// One line per event; `time` is RFC 3339 (wall clock, from the caller). SaKeys events
// give null here: they belong in the key log only; child_sa_up never has keys.
Json event_to_json(const ike::Event& event, const std::string& time);

// ikekit key-log lines: one ike_sa line for an SaKeys event; one child_sa line per
// direction (each SPI with its destination) for a ChildSaUp.
std::vector<Json> keylog_lines(const ike::SaKeys& keys);
std::vector<Json> keylog_lines(const ike::ChildSaUp& up);

// The JSON strings of the engine's enums (ikekit-json(7)): "deleted by peer", "proposal",
// "ike_sa_init" (the IANA name in lower case; "" when unassigned).
std::string_view down_reason_name(ike::DownReason r);
std::string_view failure_step_name(ike::FailureStep s);
std::string exchange_name(wire::ExchangeType e);

Json endpoint_json(const ike::Endpoint& e);
Json ts_list_json(const std::vector<ike::TsSpec>& ts);
Json address_list_json(const std::vector<IpAddress>& addresses); // ["10.99.0.1", ...]
Json prefix_list_json(const std::vector<Prefix>& prefixes);      // ["10.1.0.0/24", ...]

} // namespace ikekit::json
