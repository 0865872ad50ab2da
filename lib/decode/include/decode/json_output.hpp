// ike-decode's JSON Lines (schema ikekit.ike-decode/1, ikekit-json(7)): one object
// per IKE message, ESP packet or malformed frame, written as the decoder reports them.
#pragma once

#include "decode/records.hpp"

#include "json/output.hpp"

namespace ikekit::decode {

using json::Json;
using json::JsonOutput;

Json ike_record_to_json(const decode::IkeRecord& r);
Json esp_record_to_json(const decode::EspRecord& r);
Json malformed_record_to_json(const decode::MalformedRecord& r);
Json summary_to_json(const decode::Summary& s);
Json unmatched_keys_to_json(const decode::UnmatchedKeys& u);

// "ICMP", "TCP", ... for the protocols tunnels carry; null otherwise.
Json ip_protocol_name(uint8_t protocol);

class DecodeJsonSink final : public decode::RecordSink {
public:
  explicit DecodeJsonSink(JsonOutput& out) : out_(out) {}
  void on_ike(const decode::IkeRecord& r) override { out_.write(ike_record_to_json(r)); }
  void on_esp(const decode::EspRecord& r) override { out_.write(esp_record_to_json(r)); }
  void on_malformed(const decode::MalformedRecord& r) override {
    out_.write(malformed_record_to_json(r));
  }
  void on_unmatched_keys(const decode::UnmatchedKeys& u) override {
    out_.write(unmatched_keys_to_json(u));
  }

private:
  JsonOutput& out_;
};

} // namespace ikekit::decode
