#include "seq_state.hpp"

#include "base/hex.hpp"
#include "base/secret_file.hpp"
#include "crypto/prf.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ikekit;
using ikekit::io::dataplane::SaKeys;
using ikekit::io::dataplane::SeqReservation;

namespace esp_tunnel {

namespace {

constexpr const char* kField = "--state-dir";
constexpr const char* kHeader =
    "# esp-tunnel outbound sequence state (esp-tunnel(8)): deleting or restoring an old copy\n"
    "# of this file lets a restart reuse GCM/ChaCha20 nonces under these keys\n";
constexpr size_t kMaxStateBytes = 4096;

Error state_dir_usage_error(const std::string& path, std::string why) {
  return make_error(Errc::usage, kField, "\"" + path + "\": " + std::move(why));
}

Error state_dir_env_error(const std::string& path, std::string why) {
  return make_error(Errc::environment, kField, "\"" + path + "\": " + std::move(why));
}

// mkdir -p, the last component 0700; then the directory must be ours and writable by
// nobody else, or another user could roll the counter back by replacing the file.
Result<void> ensure_dir(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i < dir.size() && dir[i] != '/') continue;
    std::string part = dir.substr(0, i);
    if (::mkdir(part.c_str(), i == dir.size() ? 0700 : 0755) != 0 && errno != EEXIST)
      return state_dir_env_error(part, std::string("cannot create the state directory: ") +
                                           std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    return state_dir_env_error(dir, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return state_dir_usage_error(dir, "is not a directory (a symbolic link?)");
  if (st.st_uid != ::geteuid())
    return state_dir_usage_error(dir, "is owned by uid " + std::to_string(st.st_uid) +
                                          ", not by this user");
  if (st.st_mode & 022)
    return state_dir_usage_error(dir,
                                 "has mode " + octal_mode(st.st_mode) +
                                     ": others could replace the sequence state; expected 0700");
  return {};
}

uint64_t max_seq_of(const SaKeys& k) { return k.esn ? ~uint64_t(0) : uint64_t(UINT32_MAX); }

// The state file's next_seq, after checking that it is the state of these keys.
Result<uint64_t> read_next_seq(const std::string& path, uint32_t spi, const std::string& key_id) {
  auto bytes = read_secret_file(path, kField, kMaxStateBytes);
  if (!bytes) return bytes.error();
  ByteView b = bytes->reveal();
  std::istringstream in(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
  std::string line, spi_text, id_text;
  std::optional<uint64_t> next;
  auto damaged = [&](const std::string& what) {
    return state_dir_usage_error(
        path, what + "; the state is damaged, so which sequence numbers were sent is "
                     "unknown: use new keys");
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find(' ');
    std::string key = line.substr(0, sp),
                value = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (key == "spi") {
      spi_text = value;
    } else if (key == "key_id") {
      id_text = value;
    } else if (key == "next_seq") {
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size() || v == 0)
        return damaged("next_seq \"" + value + "\" is not a positive number");
      next = v;
    } else {
      return damaged("unknown line \"" + key + "\"");
    }
  }
  if (spi_text != to_hex_u32(spi) || id_text != key_id)
    return damaged("it belongs to another SA (spi " + spi_text + ")");
  if (!next) return damaged("no next_seq line");
  return *next;
}

Result<ikekit::io::Fd> lock_state(const std::string& path) {
  std::string lock_path = path + ".lock";
  ikekit::io::Fd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd)
    return state_dir_env_error(lock_path,
                               std::string("cannot open the lock: ") + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
    return state_dir_env_error(path,
                               "another esp-tunnel is sending with these keys and SPI; two senders "
                               "would repeat sequence numbers (and nonces)");
  return fd;
}

} // namespace

Result<std::string> seq_key_id(const SaKeys& keys) {
  const crypto::TransformInfo* sha256 =
      crypto::find_keyword(crypto::TransformKind::prf, "prfsha256");
  if (!sha256 || !keys.encr) return make_error(Errc::bad_value, "keys", "no cipher");
  // The keys are the HMAC key: the id reveals nothing about them.
  SecretBytes k(keys.encr_key.size() + keys.integ_key.size());
  std::memcpy(k.reveal_mut().data(), keys.encr_key.reveal().data(), keys.encr_key.size());
  if (!keys.integ_key.empty())
    std::memcpy(k.reveal_mut().data() + keys.encr_key.size(), keys.integ_key.reveal().data(),
                keys.integ_key.size());
  std::string label = "ikekit esp-tunnel key id v1 " + to_hex_u32(keys.spi) + " " +
                      std::string(keys.encr->keyword) + " " +
                      (keys.integ ? std::string(keys.integ->keyword) : "none");
  auto id = crypto::prf(*sha256, k.reveal(), {as_bytes(label)});
  if (!id) return id.error();
  return to_hex(id->reveal());
}

std::string seq_state_path(const std::string& dir, uint32_t spi, const std::string& key_id) {
  return dir + "/" + to_hex_u32(spi) + "-" + key_id.substr(0, 16) + ".seq";
}

Result<void> SeqState::check_fresh(const std::string& dir, const SaKeys& keys) {
  auto id = seq_key_id(keys);
  if (!id) return id.error();
  std::string path = seq_state_path(dir, keys.spi, *id);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0)
    return make_error(Errc::usage, "--keys-are-fresh",
                      "\"" + path +
                          "\" records that these keys were used before; fresh keys "
                          "are needed (or drop --keys-are-fresh to continue their "
                          "sequence numbers)");
  return {};
}

Result<SeqState> SeqState::open(const std::string& dir, const SaKeys& keys, uint64_t block) {
  if (auto d = ensure_dir(dir); !d) return d.error();
  auto id = seq_key_id(keys);
  if (!id) return id.error();
  SeqState s;
  s.key_id_ = *id;
  s.spi_ = keys.spi;
  s.block_ = block;
  s.max_seq_ = max_seq_of(keys);
  s.path_ = seq_state_path(dir, keys.spi, *id);
  auto lock = lock_state(s.path_);
  if (!lock) return lock.error();
  s.lock_fd_ = std::move(*lock);

  struct stat st {};
  if (::lstat(s.path_.c_str(), &st) == 0) { // keys used before: continue after them
    auto next = read_next_seq(s.path_, s.spi_, s.key_id_);
    if (!next) return next.error();
    s.first_seq_ = *next;
  } else if (errno != ENOENT) {
    return state_dir_env_error(s.path_, std::string("cannot stat: ") + std::strerror(errno));
  }
  if (s.first_seq_ > s.max_seq_)
    return state_dir_usage_error(
        s.path_, "every sequence number of these keys has been used (RFC 4303 3.3.3: "
                 "the counter never cycles); new keys are needed");
  s.limit_ = s.block_end(s.first_seq_);
  if (auto w = s.write(s.limit_ + 1); !w) return w.error();
  s.wake_fd_ = ikekit::io::Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!s.wake_fd_)
    return make_error(Errc::io, "eventfd", std::string("eventfd: ") + std::strerror(errno));
  s.reservation_ = std::make_shared<SeqReservation>();
  s.reservation_->wake_fd = s.wake_fd_.get();
  s.reservation_->next.store(s.first_seq_);
  s.reservation_->limit.store(s.limit_, std::memory_order_release);
  (void)s.arm_notice(); // nothing was sent yet: next is below the mark
  return s;
}

SeqState::SeqState(SeqState&&) noexcept = default;
SeqState& SeqState::operator=(SeqState&&) noexcept = default;
SeqState::~SeqState() = default;

Result<void> SeqState::write(uint64_t next_seq) {
  std::string text = std::string(kHeader) + "spi " + to_hex_u32(spi_) + "\nkey_id " + key_id_ +
                     "\nnext_seq " + std::to_string(next_seq) + "\n";
  return replace_secret_file(path_, text, kField);
}

uint64_t SeqState::block_end(uint64_t from) const {
  return from > max_seq_ - (block_ - 1) ? max_seq_ : from + block_ - 1;
}

bool SeqState::arm_notice() {
  if (limit_ >= max_seq_) return true;           // nothing more to reserve: no notice needed
  const uint64_t mark = limit_ - block_ / 2 + 1; // the first `next` extend() acts on
  reservation_->notify_at.store(mark, std::memory_order_release);
  // A batch that published `next` past the mark before it was armed wrote nothing.
  return reservation_->next.load(std::memory_order_acquire) < mark;
}

Result<void> SeqState::extend() {
  uint64_t n;
  (void)!::read(wake_fd_.get(), &n, sizeof n); // reset; EAGAIN when not signalled
  for (;;) {
    uint64_t next = reservation_->next.load(std::memory_order_acquire);
    if (limit_ < max_seq_ && next + block_ / 2 > limit_) {
      uint64_t limit = block_end(next);
      if (auto w = write(limit + 1); !w) return w.error(); // durable before it is used
      limit_ = limit;
      reservation_->limit.store(limit, std::memory_order_release);
    }
    if (arm_notice()) return {};
  }
}

Result<void> SeqState::close() {
  uint64_t next = reservation_->next.load(std::memory_order_acquire);
  if (next < first_seq_ || next > limit_ + 1)
    return make_error(Errc::bad_value, kField,
                      "the data plane reported an impossible next sequence number");
  return write(next);
}

} // namespace esp_tunnel
