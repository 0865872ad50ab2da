#include "decode/json_header.hpp"

#include "json/payload_json.hpp"

namespace ikekit::decode {

Json decode_header_json(const std::string& version, const std::string& capture,
                        const std::vector<decode::KeyFileInfo>& key_files) {
  Json files = Json::array();
  for (const auto& f : key_files) {
    Json problems = Json::array();
    for (const auto& e : f.problems)
      problems.push_back(json::error_to_json(e));
    files.push_back({{"path", f.path},
                     {"format", std::string(decode::key_file_format_name(f.format))},
                     {"ike_sas", f.ike_sas},
                     {"child_sas", f.child_sas},
                     {"problems", std::move(problems)}});
  }
  return {{"type", "header"},     {"schema", std::string(json::kSchemaDecode)},
          {"tool", "ike-decode"}, {"version", version},
          {"capture", capture},   {"key_files", std::move(files)}};
}

} // namespace ikekit::decode
