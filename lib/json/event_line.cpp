#include "json/event_line.hpp"

#include "base/decimal.hpp"
#include "base/hex.hpp"
#include "scalars.hpp"

#include "json/ike_events.hpp"
#include "json/output.hpp"
#include <cmath>
#include <nlohmann/json.hpp>

namespace ikekit::json {

namespace {

// The length of the well-formed UTF-8 sequence that starts at s[i] (a byte >= 0x80),
// or 0 (Unicode 15, 3.9 table 3-7: no overlong forms, surrogates or code points past
// U+10FFFF -- what nlohmann's decoder accepts too).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return uint8_t(s[k]); };
  const uint8_t lead = byte(i);
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xbf; // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead == 0xe0) lo = 0xa0; // overlong
    if (lead == 0xed) hi = 0x9f; // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead == 0xf0) lo = 0x90; // overlong
    if (lead == 0xf4) hi = 0x8f; // past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return n;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (uint8_t(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// A finite double as nlohmann writes it (its Grisu2 to_chars: shortest round trip, ".0"
// on integers), null otherwise. The serializer calls the same function.
void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char digits[64]; // the serializer's number buffer
  char* end = nlohmann::detail::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, end);
}

// One JSON object's members, in the order written, as nlohmann's compact dump joins them.
class ObjectWriter {
public:
  ObjectWriter(std::string& out, std::string& scratch) : out_(out), scratch_(scratch) {
    out_ += '{';
  }
  void end() { out_ += '}'; }

  // `"key":`, after a comma unless it is the first member (keys here need no escape).
  void key(const char* k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  void string(const char* k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  // scalars.hpp's keyword() and every "null when empty" string.
  void string_or_null(const char* k, std::string_view v) {
    if (v.empty())
      null(k);
    else
      string(k, v);
  }
  void null(const char* k) {
    key(k);
    out_ += "null";
  }
  void boolean(const char* k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void number(const char* k, uint64_t v) {
    key(k);
    append_decimal(out_, v);
  }
  void seconds_or_null(const char* k, Duration d) { // scalars.hpp's seconds_or_null()
    key(k);
    if (d.count())
      append_double(out_, seconds(d));
    else
      out_ += "null";
  }
  void hex_u32(const char* k, uint32_t v) {
    key(k);
    out_ += '"';
    append_hex_u32(out_, v);
    out_ += '"';
  }
  void hex_u64(const char* k, uint64_t v) {
    key(k);
    out_ += '"';
    append_hex_u64(out_, v);
    out_ += '"';
  }
  // A value with append_to() (Endpoint, Identity, TsSpec, IpAddress, Prefix): its
  // to_string() as a JSON string.
  template <class T> void text(const char* k, const T& v) {
    key(k);
    text_value(v);
  }
  template <class T> void text_list(const char* k, const std::vector<T>& list) {
    key(k);
    out_ += '[';
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out_ += ',';
      text_value(list[i]);
    }
    out_ += ']';
  }
  void number_list(const char* k, const std::vector<uint64_t>& list) {
    key(k);
    out_ += '[';
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out_ += ',';
      append_decimal(out_, list[i]);
    }
    out_ += ']';
  }

private:
  template <class T> void text_value(const T& v) {
    scratch_.clear();
    v.append_to(scratch_);
    append_json_string(out_, scratch_);
  }

  std::string& out_;
  std::string& scratch_;
  bool first_ = true;
};

// The members event_to_json's lines for these kinds hold, in its order (ike_events.cpp).
struct RenderLine {
  std::string& out;
  std::string& scratch;
  std::string_view time;

  // Every line starts with its type, time, SA and connection (null when none).
  ObjectWriter head(const char* type, ike::SaId sa, const std::string& conn) const {
    ObjectWriter w(out, scratch);
    w.string("type", type);
    w.string("time", time);
    w.number("sa", sa);
    w.string_or_null("conn", conn);
    return w;
  }

  bool operator()(const ike::IkeSaUp& e) const {
    ObjectWriter w = head("ike_sa_up", e.sa, e.peer);
    w.boolean("initiator", e.initiator);
    w.hex_u64("spi_i", e.spi_i);
    w.hex_u64("spi_r", e.spi_r);
    w.text("local", e.local);
    w.text("remote", e.remote);
    w.boolean("nat_t", e.nat_t);
    w.string("transport", e.stream ? "tcp" : "udp");
    w.boolean("nat_local", e.nat_local);
    w.boolean("nat_remote", e.nat_remote);
    w.string("encap", ike::encap_name(e.encap));
    w.string_or_null("encr", e.encr);
    w.string_or_null("integ", e.integ);
    w.string_or_null("prf", e.prf);
    w.string_or_null("ke", e.ke);
    w.text("local_id", e.local_id);
    w.text("remote_id", e.remote_id);
    w.string("local_auth", e.local_auth);
    w.string("remote_auth", e.remote_auth);
    w.string_or_null("eap_method", e.eap_method);
    if (e.eap_method.empty())
      w.null("eap_identity");
    else
      w.string("eap_identity", e.eap_identity);
    w.number_list("replaces", e.replaces);
    w.end();
    return true;
  }
  bool operator()(const ike::ChildSaUp& e) const {
    ObjectWriter w = head("child_sa_up", e.sa, e.peer);
    w.string("child", e.name);
    w.hex_u32("spi_in", e.spi_in);
    w.hex_u32("spi_out", e.spi_out);
    w.string("mode", ike::child_mode_name(e.mode));
    w.boolean("udp_encap", e.udp_encap);
    w.string("transport", e.stream ? "tcp" : "udp");
    w.string("encap", ike::encap_name(e.encap));
    w.text("local", e.local);
    w.text("remote", e.remote);
    w.string_or_null("encr", e.encr);
    w.string_or_null("integ", e.integ);
    w.boolean("esn", e.esn);
    w.text_list("local_ts", e.local_ts);
    w.text_list("remote_ts", e.remote_ts);
    w.key("lifetimes");
    ObjectWriter l(out, scratch);
    l.seconds_or_null("rekey_time_s", e.lifetimes.rekey_time);
    l.seconds_or_null("life_time_s", e.lifetimes.life_time);
    l.seconds_or_null("jitter_s", e.lifetimes.jitter);
    l.end();
    if (e.rekeyed_spi_in)
      w.hex_u32("rekeyed_spi_in", *e.rekeyed_spi_in);
    else
      w.null("rekeyed_spi_in");
    w.text_list("virtual_ips", e.virtual_ips);
    w.text_list("dns", e.dns);
    w.text_list("subnets", e.subnets);
    w.end();
    return true;
  }
  bool operator()(const ike::ChildSaDown& e) const {
    ObjectWriter w = head("child_sa_down", e.sa, e.peer);
    w.string("child", e.name);
    w.hex_u32("spi_in", e.spi_in);
    w.hex_u32("spi_out", e.spi_out);
    w.string("reason", down_reason_name(e.reason));
    w.end();
    return true;
  }
  bool operator()(const ike::IkeSaDown& e) const {
    ObjectWriter w = head("ike_sa_down", e.sa, e.peer);
    w.hex_u64("spi_i", e.spi_i);
    w.hex_u64("spi_r", e.spi_r);
    w.string("reason", down_reason_name(e.reason));
    if (e.replaced_by)
      w.number("replaced_by", e.replaced_by);
    else
      w.null("replaced_by");
    w.end();
    return true;
  }
  bool operator()(const ike::IkeSaRekeyed& e) const {
    ObjectWriter w = head("ike_sa_rekeyed", e.sa, e.peer);
    w.hex_u64("old_spi_i", e.old_spi_i);
    w.hex_u64("old_spi_r", e.old_spi_r);
    w.hex_u64("new_spi_i", e.new_spi_i);
    w.hex_u64("new_spi_r", e.new_spi_r);
    w.end();
    return true;
  }
  bool operator()(const ike::ChildSaRekeyed& e) const {
    ObjectWriter w = head("child_sa_rekeyed", e.sa, e.peer);
    w.string("child", e.name);
    w.hex_u32("old_spi_in", e.old_spi_in);
    w.hex_u32("old_spi_out", e.old_spi_out);
    w.hex_u32("new_spi_in", e.new_spi_in);
    w.hex_u32("new_spi_out", e.new_spi_out);
    w.end();
    return true;
  }
  // Failure, Lease, moves, drops and keys: rare, left to event_to_json.
  template <class Other> bool operator()(const Other&) const { return false; }
};

} // namespace

void append_json_string(std::string& out, std::string_view s) {
  if (!is_valid_utf8(s)) {
    // Bytes from the wire that are not UTF-8: nlohmann's own replacement rules.
    out += Json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  static constexpr char kHexDigits[] = "0123456789abcdef";
  out += '"';
  size_t copied = 0; // s[copied, i) is appended as it is
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = uint8_t(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + copied, i - copied);
    copied = i + 1;
    out += '\\';
    switch (c) {
    case '"':
    case '\\':
      out += char(c);
      break;
    case '\b':
      out += 'b';
      break;
    case '\t':
      out += 't';
      break;
    case '\n':
      out += 'n';
      break;
    case '\f':
      out += 'f';
      break;
    case '\r':
      out += 'r';
      break;
    default:
      out += "u00";
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 15];
    }
  }
  out.append(s.data() + copied, s.size() - copied);
  out += '"';
}

bool EventLineRenderer::render(const ike::Event& event, std::string_view time) {
  line_.clear();
  if (!std::visit(RenderLine{line_, scratch_, time}, event)) return false;
  line_ += '\n';
  return true;
}

} // namespace ikekit::json
