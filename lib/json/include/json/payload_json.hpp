// IKE payloads as JSON (ikekit-json(7), "ike-decode"): every payload keeps its IANA
// number and short name and adds its decoded fields; a payload that does not parse
// carries an "error" object instead, and the rest of the message is still shown.
#pragma once

#include "wire/payload.hpp"

#include "json/output.hpp"

namespace ikekit::json {

Json payload_to_json(const wire::RawPayload& raw);

// {"code","field","message"}; the shape of every error object we print.
Json error_to_json(const Error& e);

// A name from the wire tables, or null when the number is unassigned.
Json name_or_null(std::string_view name);

} // namespace ikekit::json
