// The first line of ike-decode's output: schema, tool version, inputs.
#pragma once

#include "decode/session.hpp"

#include "json/output.hpp"
#include <string>

namespace ikekit::decode {

using json::Json;
using json::JsonOutput;

Json decode_header_json(const std::string& version, const std::string& capture,
                        const std::vector<decode::KeyFileInfo>& key_files);

} // namespace ikekit::decode
