#include "decode/key_file.hpp"

#include "base/hex.hpp"
#include "decode/wireshark_names.hpp"

#include <cctype>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace ikekit::decode {

namespace {

using crypto::TransformKind;

Error line_error(std::string_view name, size_t line, std::string_view field, std::string msg) {
  return make_error(Errc::usage,
                    std::string(name) + ":" + std::to_string(line) + "." + std::string(field),
                    std::move(msg));
}

// Splits one UAT line: comma-separated fields, each quoted ("...", with \xNN escapes)
// or bare.
std::vector<std::string> split_uat(std::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (i <= line.size()) {
    std::string f;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"') {
        // \xNN with two hex digits; anything else is kept as written (then it names
        // no known algorithm and the column's error says so).
        if (line[i] == '\\' && i + 3 < line.size() && line[i + 1] == 'x' &&
            std::isxdigit(static_cast<unsigned char>(line[i + 2])) &&
            std::isxdigit(static_cast<unsigned char>(line[i + 3]))) {
          f.push_back(char(std::stoi(std::string(line.substr(i + 2, 2)), nullptr, 16)));
          i += 4;
        } else {
          f.push_back(line[i++]);
        }
      }
      ++i; // closing quote
      while (i < line.size() && line[i] != ',')
        ++i;
    } else {
      while (i < line.size() && line[i] != ',')
        f.push_back(line[i++]);
    }
    fields.push_back(f);
    ++i; // the comma
  }
  return fields;
}

Result<SecretBytes> secret_hex(std::string_view text, std::string_view name, size_t line,
                               std::string_view field) {
  auto b = from_hex(text, field);
  if (!b) return line_error(name, line, field, b.error().message);
  SecretBytes s{ByteView(*b)};
  secure_zero(b->data(), b->size());
  return s;
}

Result<uint64_t> spi64(std::string_view text, std::string_view name, size_t line,
                       std::string_view field) {
  auto b = from_hex(text, field);
  if (!b || b->size() != 8)
    return line_error(name, line, field, "\"" + std::string(text) + "\": expected 16 hex digits");
  return load_be64(b->data());
}

Result<uint32_t> spi32(std::string_view text, std::string_view name, size_t line,
                       std::string_view field) {
  auto b = from_hex(text, field);
  if (!b || b->empty() || b->size() > 4)
    return line_error(name, line, field,
                      "\"" + std::string(text) + "\": expected up to 8 hex digits");
  uint32_t v = 0;
  for (uint8_t x : *b)
    v = v << 8 | x;
  return v;
}

// ikev2_decryption_table: spi_i, spi_r, sk_ei, sk_er, encr, sk_ai, sk_ar, integ.
Result<void> wireshark_ikev2_line(std::string_view text, std::string_view name, size_t line,
                                  KeyStore& store) {
  auto f = split_uat(text);
  if (f.size() < 8)
    return line_error(name, line, "columns",
                      "expected 8 columns (spi_i, spi_r, sk_ei, sk_er, "
                      "encryption, sk_ai, sk_ar, integrity), found " +
                          std::to_string(f.size()));
  IkeSaKeys k;
  auto si = spi64(f[0], name, line, "spi_i");
  if (!si) return si.error();
  auto sr = spi64(f[1], name, line, "spi_r");
  if (!sr) return sr.error();
  k.spi_i = *si;
  k.spi_r = *sr;
  struct {
    int col;
    SecretBytes* dst;
    const char* field;
  } keys[] = {{2, &k.sk_ei, "sk_ei"},
              {3, &k.sk_er, "sk_er"},
              {5, &k.sk_ai, "sk_ai"},
              {6, &k.sk_ar, "sk_ar"}};
  for (auto& c : keys) {
    auto s = secret_hex(f[size_t(c.col)], name, line, c.field);
    if (!s) return s.error();
    *c.dst = std::move(*s);
  }
  k.encr = ikev2_table_transform(TransformKind::encr, f[4]);
  if (!k.encr && f[4] != "NULL [RFC2410]")
    return line_error(name, line, "encryption",
                      "\"" + f[4] + "\": unknown or unsupported algorithm");
  k.integ = ikev2_table_transform(TransformKind::integ, f[7]);
  if (!k.integ && f[7] != "NONE [RFC4306]")
    return line_error(name, line, "integrity",
                      "\"" + f[7] + "\": unknown or unsupported algorithm");
  store.add(std::move(k));
  return {};
}

// An "ANY n bit authentication [no checking]" row: Wireshark (packet-ipsec.c) takes the
// ICV length of the deprecated "AES-GCM [RFC4106]" from it, and strongSwan's save-keys
// plugin writes every AES-GCM ESP SA that way (with an empty key). The GCM transform of
// that ICV and key size; nullptr for another cipher or an ICV the name contradicts.
const crypto::TransformInfo* gcm_with_icv(const crypto::TransformInfo* encr, bool gcm_without_icv,
                                          size_t icv) {
  const uint16_t id = icv == 8 ? 18 : icv == 12 ? 19 : icv == 16 ? 20 : 0; // ENCR_AES_GCM_*
  if (!encr || encr->id < 18 || encr->id > 20 || id == 0) return nullptr;
  const auto* t = crypto::find_transform(TransformKind::encr, id, uint16_t(encr->key_len * 8));
  return gcm_without_icv || t == encr ? t : nullptr;
}

// esp_sa: protocol, src, dst, spi, encryption, encryption key, authentication, key.
Result<void> wireshark_esp_line(std::string_view text, std::string_view name, size_t line,
                                KeyStore& store) {
  auto f = split_uat(text);
  if (f.size() < 8)
    return line_error(name, line, "columns",
                      "expected 8 columns (protocol, src, dst, spi, "
                      "encryption, key, authentication, key), found " +
                          std::to_string(f.size()));
  ChildSaKeys k;
  if (f[1] != "*" && !f[1].empty()) {
    k.src = IpAddress::parse(f[1]);
    if (!k.src) return line_error(name, line, "src", "\"" + f[1] + "\": not an IP address");
  }
  if (f[2] != "*" && !f[2].empty()) {
    k.dst = IpAddress::parse(f[2]);
    if (!k.dst) return line_error(name, line, "dst", "\"" + f[2] + "\": not an IP address");
  }
  auto spi = spi32(f[3], name, line, "spi");
  if (!spi) return spi.error();
  k.spi = *spi;
  auto ek = secret_hex(f[5], name, line, "encryption_key");
  if (!ek) return ek.error();
  k.encr_key = std::move(*ek);
  auto ik = secret_hex(f[7], name, line, "authentication_key");
  if (!ik) return ik.error();
  k.integ_key = std::move(*ik);
  k.encr = esp_table_transform(TransformKind::encr, f[4], k.encr_key.size());
  if (!k.encr)
    return line_error(name, line, "encryption",
                      "\"" + f[4] + "\" with a " + std::to_string(k.encr_key.size()) +
                          "-byte key: unknown or unsupported algorithm");
  if (size_t icv = esp_table_unchecked_icv(f[6])) {
    k.encr = gcm_with_icv(k.encr, esp_table_gcm_without_icv(f[4]), icv);
    if (!k.encr)
      return line_error(name, line, "authentication",
                        "\"" + f[6] + "\" with \"" + f[4] +
                            "\": an unchecked ICV is read only with AES-GCM, and must be "
                            "the length its name gives");
  } else if (f[6] != "NULL") {
    k.integ = esp_table_transform(TransformKind::integ, f[6], k.integ_key.size());
    if (!k.integ)
      return line_error(name, line, "authentication",
                        "\"" + f[6] + "\": unknown or unsupported algorithm");
  }
  store.add(std::move(k));
  return {};
}

const crypto::TransformInfo* optional_keyword(const nlohmann::json& j, const char* key,
                                              TransformKind kind, bool& bad) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  if (!it->is_string()) {
    bad = true;
    return nullptr;
  }
  auto* t = crypto::find_keyword(kind, it->get<std::string>());
  if (!t) bad = true;
  return t;
}

// A string member; nullopt when absent or null. Another JSON type is an error naming the
// key (nlohmann's value(key, "") would throw).
Result<std::optional<std::string>> json_string(const nlohmann::json& j, const char* key,
                                               std::string_view name, size_t line) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return line_error(name, line, key, "expected a string");
  return std::optional<std::string>(it->get<std::string>());
}

// An address member (dst, src); absent or null: any address. Dropping a bad one
// silently would widen the key to any address.
Result<std::optional<IpAddress>> json_address(const nlohmann::json& j, const char* key,
                                              std::string_view name, size_t line) {
  auto text = json_string(j, key, name, line);
  if (!text) return text.error();
  if (!*text) return std::optional<IpAddress>();
  auto a = IpAddress::parse(**text);
  if (!a) return line_error(name, line, key, "\"" + **text + "\": not an IP address");
  return std::optional<IpAddress>(*a);
}

Result<SecretBytes> json_key(const nlohmann::json& j, const char* key, bool required,
                             std::string_view name, size_t line) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return line_error(name, line, key, "missing");
    return SecretBytes();
  }
  if (!it->is_string()) return line_error(name, line, key, "expected a hex string");
  return secret_hex(it->get<std::string>(), name, line, key);
}

Result<void> keylog_line(std::string_view text, std::string_view name, size_t line,
                         KeyStore& store) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return line_error(name, line, "json", "not a JSON object");
  auto type = json_string(j, "type", name, line);
  if (!type) return type.error();
  bool bad = false;
  if (*type == "ike_sa") {
    IkeSaKeys k;
    auto spi_i = json_string(j, "spi_i", name, line);
    if (!spi_i) return spi_i.error();
    auto si = spi64(spi_i->value_or(""), name, line, "spi_i");
    if (!si) return si.error();
    auto spi_r = json_string(j, "spi_r", name, line);
    if (!spi_r) return spi_r.error();
    auto sr = spi64(spi_r->value_or(""), name, line, "spi_r");
    if (!sr) return sr.error();
    k.spi_i = *si;
    k.spi_r = *sr;
    struct {
      const char* key;
      SecretBytes* dst;
      bool required;
    } keys[] = {{"sk_d", &k.sk_d, false},
                {"sk_ei", &k.sk_ei, true},
                {"sk_er", &k.sk_er, true},
                {"sk_ai", &k.sk_ai, false},
                {"sk_ar", &k.sk_ar, false}};
    for (auto& c : keys) {
      auto s = json_key(j, c.key, c.required, name, line);
      if (!s) return s.error();
      *c.dst = std::move(*s);
    }
    k.encr = optional_keyword(j, "encr", TransformKind::encr, bad);
    if (bad) return line_error(name, line, "encr", "unknown algorithm keyword");
    k.integ = optional_keyword(j, "integ", TransformKind::integ, bad);
    if (bad) return line_error(name, line, "integ", "unknown algorithm keyword");
    k.prf = optional_keyword(j, "prf", TransformKind::prf, bad);
    if (bad) return line_error(name, line, "prf", "unknown algorithm keyword");
    store.add(std::move(k));
    return {};
  }
  if (*type == "child_sa") {
    ChildSaKeys k;
    auto spi_text = json_string(j, "spi", name, line);
    if (!spi_text) return spi_text.error();
    auto spi = spi32(spi_text->value_or(""), name, line, "spi");
    if (!spi) return spi.error();
    k.spi = *spi;
    auto dst = json_address(j, "dst", name, line);
    if (!dst) return dst.error();
    k.dst = *dst;
    auto src = json_address(j, "src", name, line);
    if (!src) return src.error();
    k.src = *src;
    auto ek = json_key(j, "encr_key", true, name, line);
    if (!ek) return ek.error();
    k.encr_key = std::move(*ek);
    auto ik = json_key(j, "integ_key", false, name, line);
    if (!ik) return ik.error();
    k.integ_key = std::move(*ik);
    k.encr = optional_keyword(j, "encr", TransformKind::encr, bad);
    if (bad) return line_error(name, line, "encr", "unknown algorithm keyword");
    k.integ = optional_keyword(j, "integ", TransformKind::integ, bad);
    if (bad) return line_error(name, line, "integ", "unknown algorithm keyword");
    store.add(std::move(k));
    return {};
  }
  // Other line types (a header, future additions) are not keys: skip them.
  return {};
}

} // namespace

std::string_view key_file_format_name(KeyFileFormat f) {
  switch (f) {
  case KeyFileFormat::ikekit_keylog:
    return "ikekit_keylog";
  case KeyFileFormat::wireshark_ikev2:
    return "wireshark_ikev2_decryption_table";
  case KeyFileFormat::wireshark_esp:
    return "wireshark_esp_sa";
  case KeyFileFormat::charon_log:
    return "strongswan_charon_log";
  case KeyFileFormat::pluto_log:
    return "libreswan_pluto_log";
  }
  return "";
}

Result<std::optional<KeyFileFormat>> parse_key_format(std::string_view text) {
  struct Name {
    std::string_view cli;
    KeyFileFormat format;
  };
  static constexpr Name kNames[] = {{"ikekit", KeyFileFormat::ikekit_keylog},
                                    {"wireshark-ikev2", KeyFileFormat::wireshark_ikev2},
                                    {"wireshark-esp", KeyFileFormat::wireshark_esp},
                                    {"charon", KeyFileFormat::charon_log},
                                    {"pluto", KeyFileFormat::pluto_log}};
  if (text == "auto") return std::optional<KeyFileFormat>();
  for (const auto& n : kNames)
    if (n.cli == text) return std::optional<KeyFileFormat>(n.format);
  return make_error(
      Errc::usage, "--keys-format",
      "\"" + std::string(text) +
          "\": expected auto, ikekit, wireshark-ikev2, wireshark-esp, charon or pluto");
}

namespace {

// A daemon log: its key blocks go to the store to be matched as the capture shows SAs.
Result<KeyFileFormat> parse_log(std::string_view text, std::string_view name, KeyStore& store,
                                KeyFileFormat format) {
  LogKeys log = format == KeyFileFormat::charon_log ? parse_charon_log(text, name)
                                                    : parse_pluto_log(text, name);
  if (log.ike().empty() && log.child().empty()) {
    std::string why = format == KeyFileFormat::charon_log
                          ? "no key dumps: charon logs keys at level 4 of the ike and chd groups "
                            "(charondebug=\"ike 4, chd 4\")"
                          : "no \"ikev2 I/R\" key lines: pluto logs keys with plutodebug=private";
    if (!log.problems().empty())
      why += "; first problem: " + log.problems().front().field + ": " +
             log.problems().front().message;
    return make_error(Errc::usage, std::string(name), why);
  }
  store.add(std::move(log));
  return format;
}

// The format of a file whose first line is `line` (no --keys-format).
KeyFileFormat detect(std::string_view line, std::string_view text) {
  if (line[0] == '{') return KeyFileFormat::ikekit_keylog;
  if (line.rfind("\"IPv4\"", 0) == 0 || line.rfind("\"IPv6\"", 0) == 0 ||
      line.rfind("\"Any", 0) == 0)
    return KeyFileFormat::wireshark_esp;
  // A Wireshark IKEv2 row starts with the 16 hex digits of SPIi and a comma.
  size_t hex = 0;
  while (hex < line.size() && std::isxdigit(static_cast<unsigned char>(line[hex])))
    ++hex;
  if (hex == 16 && hex < line.size() && line[hex] == ',') return KeyFileFormat::wireshark_ikev2;
  if (looks_like_charon_log(text)) return KeyFileFormat::charon_log;
  if (looks_like_pluto_log(text)) return KeyFileFormat::pluto_log;
  return KeyFileFormat::wireshark_ikev2; // its errors name the line
}

} // namespace

Result<KeyFileFormat> parse_key_text(std::string_view text, std::string_view name, KeyStore& store,
                                     std::optional<KeyFileFormat> format) {
  const std::string_view all = text;
  if (format == KeyFileFormat::charon_log || format == KeyFileFormat::pluto_log)
    return parse_log(text, name, store, *format);
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (!format) {
      format = detect(line, all);
      if (*format == KeyFileFormat::charon_log || *format == KeyFileFormat::pluto_log)
        return parse_log(all, name, store, *format);
    }
    Result<void> r;
    switch (*format) {
    case KeyFileFormat::ikekit_keylog:
      r = keylog_line(line, name, line_no, store);
      break;
    case KeyFileFormat::wireshark_ikev2:
      r = wireshark_ikev2_line(line, name, line_no, store);
      break;
    case KeyFileFormat::wireshark_esp:
      r = wireshark_esp_line(line, name, line_no, store);
      break;
    case KeyFileFormat::charon_log:
    case KeyFileFormat::pluto_log:
      break; // handled above
    }
    if (!r) return r.error();
  }
  if (!format) {
    // Only comments: a legitimate empty table (e.g. Wireshark cannot use ChaCha20 keys,
    // so --emit-wireshark writes header-only tables). The name says which table it is.
    if (name.size() >= 6 && name.substr(name.size() - 6) == "esp_sa")
      return KeyFileFormat::wireshark_esp;
    if (name.find("ikev2_decryption_table") != std::string_view::npos)
      return KeyFileFormat::wireshark_ikev2;
    return KeyFileFormat::ikekit_keylog;
  }
  return *format;
}

Result<KeyFileFormat> load_key_file(const std::string& path, KeyStore& store, SecretAccess access,
                                    std::optional<KeyFileFormat> format) {
  auto bytes = read_secret_file(path, "--keys", kMaxKeyFileBytes, access);
  if (!bytes) return bytes.error();
  ByteView b = bytes->reveal();
  return parse_key_text(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), path,
                        store, format);
}

} // namespace ikekit::decode
