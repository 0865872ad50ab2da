// Internal: the space an engine writes the inner payloads of a large outgoing message
// into (IKE_AUTH: certificate chains, CERTREQ authorities, configuration payloads) before
// seal() copies them into the SK payload. One 64 KiB buffer per engine, allocated with
// it. A lease hands out the buffer with the PayloadWriter over it; a PayloadWriter writes
// every byte it reports (lengths are patched, reserved fields written as zeros) and
// seal() reads only those, so the buffer is never zero-filled. When the lease ends it
// wipes what its writer wrote (the message's plaintext: IDs, AUTH, addresses), so no
// plaintext outlives its message in the buffer, nor in a freed one. Issue 17: each
// IKE_AUTH used to allocate and zero-fill 64 KiB of its own (twice per handshake).
#pragma once

#include "base/bytes.hpp"
#include "base/secret_bytes.hpp"
#include "wire/payload.hpp"

#include <cstdint>
#include <memory>

namespace ikekit::ike {

class PayloadScratch {
public:
  // The largest IKE message (its Length field is 32 bits, but a UDP datagram and an SK
  // payload's Payload Length stop at 65535).
  static constexpr size_t kSize = 65535;

  // Hands out the buffer for one message; a second lease while one is out (a message
  // built while another is being built) gets a buffer of its own, freed with it.
  class Lease {
  public:
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      secure_zero(data_, writer_.size()); // a Writer never writes past its size()
      if (owner_) owner_->busy_ = false;
    }
    MutBytes bytes() const { return MutBytes(data_, kSize); }
    // The one writer of this message's payloads (what it wrote is wiped with the lease).
    wire::PayloadWriter& writer() { return writer_; }

  private:
    friend class PayloadScratch;
    // `shared` null: a buffer of its own.
    Lease(PayloadScratch* owner, uint8_t* shared)
        : owner_(owner), own_(shared ? nullptr : new uint8_t[kSize]),
          data_(shared ? shared : own_.get()), writer_(MutBytes(data_, kSize)) {}
    PayloadScratch* owner_ = nullptr; // null: `own_` is this lease's buffer
    std::unique_ptr<uint8_t[]> own_;  // uninitialised (new T[], not make_unique<T[]>)
    uint8_t* data_ = nullptr;
    wire::PayloadWriter writer_;
  };

  Lease lease() {
    if (!busy_) {
      busy_ = true;
      return Lease(this, shared_.get());
    }
    return Lease(nullptr, nullptr);
  }
  bool busy() const { return busy_; }
  const uint8_t* data() const { return shared_.get(); }

private:
  std::unique_ptr<uint8_t[]> shared_{new uint8_t[kSize]};
  bool busy_ = false;
};

} // namespace ikekit::ike
