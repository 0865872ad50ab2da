#include "cli/eap_options.hpp"

#include "base/secret_file.hpp"

#include <algorithm>

namespace ikekit::cli {

namespace {

constexpr size_t kMaxUsersFileBytes = 1 << 20;
constexpr size_t kMaxPasswordBytes = 256; // MS-CHAPv2 passwords: at most 256 characters (RFC 2759)

std::string_view text_of(const SecretBytes& s) {
  ByteView b = s.reveal();
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

Error line_error(const std::string& field, const std::string& path, size_t line,
                 const std::string& what) {
  return make_error(Errc::usage, field,
                    "\"" + path + "\" line " + std::to_string(line) + ": " + what);
}

} // namespace

Result<EapUsers> read_eap_users(const std::string& path, const std::string& field) {
  auto file = read_secret_file(path, field, kMaxUsersFileBytes);
  if (!file) return file.error();
  std::string_view text = text_of(*file);
  EapUsers users;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return line_error(field, path, line_no, "expected identity:password");
    std::string identity(line.substr(0, colon));
    std::string_view password = line.substr(colon + 1);
    if (password.empty()) return line_error(field, path, line_no, "the password is empty");
    if (password.size() > kMaxPasswordBytes)
      return line_error(field, path, line_no,
                        "the password is longer than " + std::to_string(kMaxPasswordBytes) +
                            " bytes");
    if (users.count(identity))
      return line_error(field, path, line_no, "identity \"" + identity + "\" is listed twice");
    users.emplace(std::move(identity), SecretBytes(as_bytes(password)));
  }
  if (users.empty()) return make_error(Errc::usage, field, "\"" + path + "\": no users");
  return users;
}

std::shared_ptr<ike::EapServerBackend> eap_users_backend(EapUsers users) {
  auto shared = std::make_shared<const EapUsers>(std::move(users));
  return ike::local_mschapv2_backend(
      [shared](std::string_view identity) -> std::optional<SecretBytes> {
        auto it = shared->find(identity);
        if (it == shared->end()) return std::nullopt;
        return it->second;
      });
}

Result<SecretBytes> read_eap_password_file(const std::string& path, const std::string& field) {
  auto file = read_secret_file(path, field, kMaxPasswordBytes + 2);
  if (!file) return file.error();
  ByteView b = file->reveal();
  size_t len = b.size();
  while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
    --len;
  if (len == 0) return make_error(Errc::usage, field, "\"" + path + "\": the password is empty");
  return file->slice(0, len);
}

} // namespace ikekit::cli
