// Follows IKE SAs through a capture: the IKE_SA_INIT nonces and chosen algorithms,
// the Child SAs created in IKE_AUTH and CREATE_CHILD_SA (RFC 7296 1.2, 1.3, 2.17),
// and IKE fragments (RFC 7383). Decrypts SK/SKF payloads with the KeyStore's keys
// and adds derived ESP keys back to it.
#pragma once

#include "base/bytes.hpp"
#include "decode/key_store.hpp"
#include "decode/records.hpp"
#include "wire/message.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

namespace ikekit::decode {

class SkOpener;

struct IkeSaInfo {
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Bytes ni, nr;
  const crypto::TransformInfo* encr = nullptr; // from the chosen proposal
  const crypto::TransformInfo* integ = nullptr;
  const crypto::TransformInfo* prf = nullptr;
  const crypto::TransformInfo* ke = nullptr;
  std::optional<IpAddress> initiator;
  std::optional<IpAddress> responder;
  std::optional<uint32_t> auth_child_spi; // SPI in the IKE_AUTH request's ESP proposal
  // The IKE SA this one rekeyed (RFC 7296 2.18), for keys from a daemon log.
  std::optional<std::pair<uint64_t, uint64_t>> rekeyed_from;
  bool log_keys_tried = false; // what the capture shows of an SA does not change: ask once
  // The IKE SA that replaced this one in a rekey (RFC 7296 2.18): its Child SAs go there.
  std::optional<std::pair<uint64_t, uint64_t>> rekeyed_to;

  // Where the IKE SA is (RFC 7296 2.23, RFC 4555): the endpoints of its first
  // authenticated message (so the float to port 4500 after IKE_SA_INIT is no move), then
  // of the message that last moved it. Only authenticated messages (decrypted, ICV good)
  // count: the decoder, like the peers, never follows what anyone could have sent.
  std::optional<Endpoint> at_i, at_r;
  bool mobike_i = false, mobike_r = false; // MOBIKE_SUPPORTED in IKE_AUTH (RFC 4555 4.1)
  // The highest message ID of authenticated requests from each side ([0]: the original
  // initiator's), so that a replayed older exchange moves nothing.
  std::optional<uint32_t> highest_request[2];
  std::optional<SaMove> moved; // the last move

  // A CREATE_CHILD_SA request waiting for its response, by (message id, whether the
  // exchange initiator is the IKE SA's original initiator).
  struct PendingCreate {
    Bytes nonce;
    Bytes spi;
    bool has_ke = false;
    uint8_t protocol = 0;
    IpAddress from; // the exchange initiator
    IpAddress to;
  };
  std::map<std::pair<uint32_t, bool>, PendingCreate> pending;

  // RFC 7383: fragments of one message, by (message id, header flags).
  struct Fragments {
    uint16_t total = 0;
    uint8_t first_inner = 0;
    size_t bytes = 0; // decrypted bytes held in parts
    std::map<uint16_t, Bytes> parts;
  };
  std::map<std::pair<uint32_t, uint8_t>, Fragments> fragments;

  std::unique_ptr<SkOpener> opener_i; // messages sent by the original initiator
  std::unique_ptr<SkOpener> opener_r;

  IkeSaInfo();
  IkeSaInfo(IkeSaInfo&&) noexcept;
  IkeSaInfo& operator=(IkeSaInfo&&) noexcept;
  ~IkeSaInfo();
};

class IkeTracker {
public:
  // Bounds on IKE fragment reassembly (issue 11): a message announcing more fragments
  // is not reassembled, one whose fragments exceed the byte budget is dropped, and an
  // IKE SA holds at most kMaxReassemblies messages in reassembly (the oldest message id
  // goes first). Every fragment thrown away is counted in dropped_fragments().
  static constexpr uint16_t kMaxIkeFragments = 256;
  static constexpr size_t kMaxIkeMessageBytes = 64 * 1024;
  static constexpr size_t kMaxReassemblies = 8;

  explicit IkeTracker(KeyStore& keys) : keys_(keys) {}

  // Tracks one parsed message and decrypts its SK/SKF payload when keys are known.
  // The inner payload views point into storage owned here, valid until the next call.
  void process(const PacketMeta& meta, const wire::Message& msg, IkeRecord& record);

  const std::map<std::pair<uint64_t, uint64_t>, IkeSaInfo>& sas() const { return sas_; }
  // Why a Child SA SPI has no derived key (e.g. created with PFS), if known.
  std::optional<std::string> child_note(uint32_t spi) const;
  // The algorithms negotiated for a Child SA SPI, for key files that name none.
  struct ChildAlgorithms {
    const crypto::TransformInfo* encr = nullptr;
    const crypto::TransformInfo* integ = nullptr;
  };
  std::optional<ChildAlgorithms> child_algorithms(uint32_t spi) const;
  uint64_t dropped_fragments() const { return dropped_fragments_; }
  // The last move so far of an IKE SA or of the IKE SAs that took its Child SAs over in
  // rekeys, for an ESP packet of a Child SA it created.
  std::optional<SaMove> last_move(std::pair<uint64_t, uint64_t> ike_sa) const;
  uint64_t moves() const { return moves_; }

private:
  IkeSaInfo& sa_for(const wire::IkeHeader& h);
  void on_ike_sa_init(const PacketMeta& meta, const wire::Message& msg);
  EncryptedInfo open(IkeSaInfo& sa, const wire::Message& msg, const wire::RawPayload& enc);
  // Keeps one decrypted fragment; once the message is whole (then in plain_), the type
  // of its first inner payload.
  std::optional<uint8_t> reassemble(IkeSaInfo& sa, const wire::IkeHeader& h, uint8_t next_type,
                                    Bytes part, EncryptedInfo& info);
  void on_inner(IkeSaInfo& sa, const PacketMeta& meta, const wire::IkeHeader& h,
                const std::vector<wire::RawPayload>& inner);
  void derive_children(IkeSaInfo& sa, ByteView ni, ByteView nr, uint32_t spi_from_initiator,
                       uint32_t spi_from_responder, const IpAddress& initiator,
                       const IpAddress& responder, const wire::RawPayload& chosen_sa);
  // The keys of an IKE SA without any yet, from a daemon log, by what the capture shows.
  IkeSaKeys* keys_from_log(IkeSaInfo& sa);
  // A Child SA's keys from a daemon log (its KEYMAT seed ends with these nonces).
  bool children_from_log(const IkeSaInfo& sa, ByteView ni, ByteView nr, uint32_t spi_from_initiator,
                         uint32_t spi_from_responder, const IpAddress& initiator,
                         const IpAddress& responder, const crypto::TransformInfo* encr,
                         const crypto::TransformInfo* integ);

  void on_ike_sa_rekeyed(IkeSaInfo& sa, const PacketMeta& meta, const IkeSaInfo::PendingCreate& req,
                         const wire::RawPayload& chosen_sa, Bytes nr);
  // Records which IKE SA created a Child SA's two entries in the KeyStore.
  void own_children(const IkeSaInfo& sa, uint32_t spi_from_initiator, uint32_t spi_from_responder,
                    const IpAddress& initiator, const IpAddress& responder);
  // The IKE SA's endpoints after an authenticated message (sa_moves.cpp); `update`: it is
  // a request with an UPDATE_SA_ADDRESSES notify (RFC 4555 3.5).
  void follow(IkeSaInfo& sa, const PacketMeta& meta, const wire::IkeHeader& h, bool update,
              Transport transport);
  void move(IkeSaInfo& sa, const PacketMeta& meta, MoveReason reason, const Endpoint& now_i,
            const Endpoint& now_r);

  KeyStore& keys_;
  std::map<std::pair<uint64_t, uint64_t>, IkeSaInfo> sas_;
  uint64_t moves_ = 0;
  std::map<uint32_t, std::string> child_notes_;
  std::map<uint32_t, ChildAlgorithms> child_algorithms_;
  Bytes plain_; // decrypted inner payloads of the current message
  uint64_t dropped_fragments_ = 0;
};

} // namespace ikekit::decode
