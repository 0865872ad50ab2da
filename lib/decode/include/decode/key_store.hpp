// Keys known to the decoder: IKE SA keys by SPI pair, Child SA (ESP) keys by SPI.
// Filled from key files and from keys the decoder derives itself (Child SAs from SK_d).
#pragma once

#include "base/ip_address.hpp"
#include "base/secret_bytes.hpp"
#include "crypto/suite.hpp"
#include "decode/log_keys.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ikekit::decode {

// Where a key came from, for the output and --emit-wireshark.
enum class KeySource { key_file, derived };

struct IkeSaKeys {
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  SecretBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er;
  // Algorithms when the key file names them; otherwise inferred from IKE_SA_INIT.
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  const crypto::TransformInfo* prf = nullptr;
  KeySource source = KeySource::key_file;
};

struct ChildSaKeys {
  uint32_t spi = 0;
  std::optional<IpAddress> dst; // absent: any destination
  std::optional<IpAddress> src;
  SecretBytes encr_key;  // AEAD: key || salt
  SecretBytes integ_key; // empty for AEAD
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
  KeySource source = KeySource::key_file;
  uint64_t generation = 0; // set by KeyStore::add; changes whenever the entry is replaced
  // The IKE SA (spi_i, spi_r) whose exchange in the capture created it, or, for keys whose
  // creation the capture does not show, the first one that moved it.
  std::optional<std::pair<uint64_t, uint64_t>> ike_sa;
};

// A Child SA's keys valid between other addresses after its IKE SA moved (RFC 4555 3.5,
// RFC 7296 2.23): the entry child_sas()[index], now also from src to dst.
struct MovedChildSa {
  size_t index = 0;
  IpAddress src, dst;
};

class KeyStore {
public:
  void add(IkeSaKeys keys);
  void add(ChildSaKeys keys);
  // Keys of a daemon log, matched to SAs as the capture shows them (log_keys.hpp).
  void add(LogKeys log) { logs_.push_back(std::move(log)); }

  IkeSaKeys* find_ike(uint64_t spi_i, uint64_t spi_r);
  // The keys for ESP with this SPI to `dst`: an entry for `dst`, then one that moved
  // there, then one for any destination.
  ChildSaKeys* find_child(uint32_t spi, const IpAddress& dst);
  // An IKE SA moved from old_i <-> old_r to new_i <-> new_r: every Child SA entry valid
  // between the old addresses (either way) is from now on also valid between the new
  // ones, the same way round. The old addresses stay valid (ESP still in flight), so a
  // move adds and never takes away. Entries without an IKE SA get `ike_sa`. Returns how
  // many entries gained addresses. The move is kept: log keys matched later (lazily, at
  // their first ESP packet) follow it too, and are found at the addresses it led to.
  size_t follow_move(const IpAddress& old_i, const IpAddress& old_r, const IpAddress& new_i,
                     const IpAddress& new_r, std::pair<uint64_t, uint64_t> ike_sa);
  // Records which IKE SA created the entry for (spi, dst), if there is one.
  void set_owner(uint32_t spi, const IpAddress& dst, std::pair<uint64_t, uint64_t> ike_sa);

  // The log keys the evidence proves, added to the store (nullptr / false: none).
  IkeSaKeys* resolve_ike(const IkeSaEvidence& ev);
  bool resolve_child(const ChildSaEvidence& ev);
  // The ESP SA with this SPI that a log installed towards `dst`, or towards an address
  // the moves so far (follow_move) led its SA to `dst` from.
  ChildSaKeys* resolve_installed(uint32_t spi, const IpAddress& dst);
  const std::deque<LogKeys>& logs() const { return logs_; }

  const std::map<std::pair<uint64_t, uint64_t>, IkeSaKeys>& ike_sas() const { return ike_; }
  const std::deque<ChildSaKeys>& child_sas() const { return child_; }
  const std::vector<MovedChildSa>& moved_child_sas() const { return moved_; }

private:
  struct Move {
    IpAddress old_i, old_r, new_i, new_r;
    std::pair<uint64_t, uint64_t> ike_sa;
  };
  // Applies `m` to the entries child_[first, last); returns how many gained addresses.
  size_t apply_move(const Move& m, size_t first, size_t last);
  // Whether ESP from `src` to `dst` reaches `to` after the moves so far.
  bool moves_lead_to(const IpAddress& src, const IpAddress& dst, const IpAddress& to) const;

  std::map<std::pair<uint64_t, uint64_t>, IkeSaKeys> ike_;
  // A deque keeps entries in place as more are added (the decoder caches per entry);
  // few entries, so a linear scan is cheapest.
  std::deque<ChildSaKeys> child_;
  std::vector<MovedChildSa> moved_; // entries of child_ under the addresses they moved to
  std::vector<Move> moves_;         // every follow_move, in capture order
  std::deque<LogKeys> logs_;
  std::set<std::pair<uint32_t, IpAddress>> installed_misses_; // asked once per SA and move
  uint64_t generation_ = 0;
};

} // namespace ikekit::decode
