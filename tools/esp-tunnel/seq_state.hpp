// esp-tunnel's outbound sequence-number state (esp-tunnel(8), SEQUENCE NUMBERS).
//
// With AES-GCM, ChaCha20-Poly1305 and AES-CTR the ESP IV is the sequence number
// (RFC 4106 3.1, RFC 7634 2, RFC 3686 3), which must therefore never repeat under one
// key: a repeated GCM nonce reveals the XOR of two plaintexts and lets anyone forge
// tags. Static keys outlive a process, so the counter must too. SeqState keeps it in
// a file per outbound SA, named by its SPI and a key id (an HMAC of the keys, never
// the keys), and writes it ahead in blocks: the file always holds a number above
// every sequence number that may have been sent, so a crash loses at most one block
// of numbers and never repeats one. A clean exit records the exact next number.
//
// The file is written with replace_secret_file (0600, fsync'd, renamed into place)
// before the data plane may use a block, and a lock file keeps a second esp-tunnel
// from running the same SA at once.
#pragma once

#include "base/result.hpp"
#include "io/dataplane/child_sa.hpp"
#include "io/fd.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace esp_tunnel {

// Numbers reserved per write: a crash skips at most this many. The next block is
// reserved once half of this one is used (the data plane wakes the owner then:
// wake_fd()), so its write and fsync have the other half's time: ~100 ms at 5 million
// packets/s.
inline constexpr uint64_t kSeqBlock = uint64_t(1) << 20;
inline constexpr const char* kDefaultStateDir = "/var/lib/ikekit/esp-tunnel";

class SeqState {
public:
  // Opens or creates the state of the outbound SA `keys` in `dir` (created 0700 when
  // missing; it must be ours and writable by nobody else), locks it, and reserves the
  // first block. Errc::usage naming the file when it is unreadable, foreign or damaged,
  // or when the SA's sequence space is used up (RFC 4303 3.3.3: new keys are needed);
  // Errc::environment when another process holds the SA or the directory cannot be made.
  static ikekit::Result<SeqState> open(const std::string& dir,
                                       const ikekit::io::dataplane::SaKeys& keys,
                                       uint64_t block = kSeqBlock);
  // --keys-are-fresh: refuses (Errc::usage) when `dir` holds a state for these keys,
  // i.e. they were used before.
  static ikekit::Result<void> check_fresh(const std::string& dir,
                                          const ikekit::io::dataplane::SaKeys& keys);

  SeqState(SeqState&&) noexcept;
  SeqState& operator=(SeqState&&) noexcept;
  ~SeqState(); // releases the lock; the file keeps its last reservation

  const std::string& path() const { return path_; }
  uint64_t first_seq() const { return first_seq_; } // this run's first sequence number
  uint64_t reserved() const { return limit_; }      // the last number that may be sent
  // Shared with the data plane (ChildSaSpec::seq_reservation).
  const std::shared_ptr<ikekit::io::dataplane::SeqReservation>& reservation() const {
    return reservation_;
  }

  // Readable (eventfd) when the data plane used half of the reservation: then call
  // extend(), which also resets it.
  int wake_fd() const { return wake_fd_.get(); }
  // Reserves the next block once less than half of the current one is left: the file
  // first (fsync'd), then the limit the data plane sees; then arms the mark at which
  // the data plane writes wake_fd() (SeqReservation::notify_at).
  ikekit::Result<void> extend();
  // After the data plane stopped cleanly: records reservation()->next, the exact next
  // number, so a restart wastes none.
  ikekit::Result<void> close();

private:
  SeqState() = default;
  ikekit::Result<void> write(uint64_t next_seq);
  uint64_t block_end(uint64_t from) const; // from + block - 1, at most max_seq_
  // Arms the data plane's notice at half a block left; false when `next` is there
  // already (the caller extends again). True without a mark at the end of the space.
  bool arm_notice();

  std::string path_;
  std::string key_id_;
  uint32_t spi_ = 0;
  ikekit::io::Fd lock_fd_; // holds the flock on <path>.lock
  ikekit::io::Fd wake_fd_; // SeqReservation::wake_fd
  uint64_t block_ = kSeqBlock;
  uint64_t max_seq_ = 0;
  uint64_t first_seq_ = 1;
  uint64_t limit_ = 0;
  std::shared_ptr<ikekit::io::dataplane::SeqReservation> reservation_;
};

// HMAC-SHA-256 over the SA's algorithms and SPI, keyed with its keys: names the keys in
// the state file without revealing them (64 hex digits).
ikekit::Result<std::string> seq_key_id(const ikekit::io::dataplane::SaKeys& keys);
// dir/<spi 8 hex>-<first 16 hex digits of the key id>.seq
std::string seq_state_path(const std::string& dir, uint32_t spi, const std::string& key_id);

} // namespace esp_tunnel
