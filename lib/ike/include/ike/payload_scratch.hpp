// Internal: the space an engine writes the inner payloads of a large outgoing message
// into (IKE_AUTH: certificate chains, CERTREQ authorities, configuration payloads) before
// seal() copies them into the SK payload. One 64 KiB buffer per engine, allocated with
// it and never cleared: a PayloadWriter writes every byte it reports (lengths are
// patched, reserved fields written as zeros) and seal() reads only those, so what an
// earlier message left behind is never read. Issue 17: each IKE_AUTH used to allocate
// and zero-fill 64 KiB of its own (twice per handshake, one per side).
#pragma once

#include "base/bytes.hpp"

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
      if (owner_) owner_->busy_ = false;
    }
    MutBytes bytes() const { return MutBytes(data_, kSize); }

  private:
    friend class PayloadScratch;
    // `data` null: a buffer of its own.
    Lease(PayloadScratch* owner, uint8_t* data) : owner_(owner), data_(data) {
      if (!data_) {
        own_.reset(new uint8_t[kSize]);
        data_ = own_.get();
      }
    }
    PayloadScratch* owner_ = nullptr; // null: `own_` is this lease's buffer
    std::unique_ptr<uint8_t[]> own_;  // uninitialised (new T[], not make_unique<T[]>)
    uint8_t* data_ = nullptr;
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
