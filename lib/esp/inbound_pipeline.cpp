#include "esp/inbound_pipeline.hpp"

#include "base/hex.hpp"
#include "esp/layout.hpp"
#include "wire/ip.hpp"

#include <cstring>

namespace ikekit::esp {

namespace {

void count_selector_drop(InStats& s, SelectorVerdict v) {
  switch (v) {
  case SelectorVerdict::src_outside:
    ++s.selector_src;
    break;
  case SelectorVerdict::dst_outside:
    ++s.selector_dst;
    break;
  case SelectorVerdict::protocol_outside:
    ++s.selector_protocol;
    break;
  case SelectorVerdict::port_outside:
    ++s.selector_port;
    break;
  case SelectorVerdict::match:
    break;
  }
}

// Transport mode (RFC 4303 3.1.1): the IP header in front of the payload, from the
// SA's endpoints. When the room below the payload (down to `floor`) is too small, the
// payload moves up into the ESP trailer it no longer needs (padding, trailer, ICV).
MutBytes rebuild_ip_header(MutBytes payload, uint8_t* floor, uint8_t* esp_end,
                           const InboundSaInfo& info, uint8_t next_header) {
  const size_t hlen = info.local.is_v4() ? wire::kIpv4HeaderSize : wire::kIpv6HeaderSize;
  uint8_t* start = payload.data();
  size_t room = size_t(start - floor);
  if (room < hlen) {
    size_t shift = hlen - room;
    if (size_t(esp_end - (start + payload.size())) < shift) return {};
    std::memmove(start + shift, start, payload.size());
    start += shift;
    room = hlen;
  }
  MutBytes whole(start - room, room + payload.size());
  return wire::prepend_ip_header(whole, room, payload.size(), info.remote, info.local, next_header);
}

} // namespace

Result<void> InboundPipeline::add(EspSaIn sa, InboundSaInfo info) {
  uint32_t spi = sa.spi();
  if (sas_.count(spi))
    return make_error(Errc::bad_value, "in.spi",
                      "SPI " + to_hex_u32(spi) + " is already installed inbound");
  EspSource peer{info.remote, info.remote_port};
  sas_.emplace(spi, Entry{std::move(sa), std::move(info), peer, std::nullopt});
  return {};
}

bool InboundPipeline::set_peer(uint32_t spi, const EspSource& peer) {
  auto it = sas_.find(spi);
  if (it == sas_.end()) return false;
  it->second.peer = peer;
  it->second.reported.reset();
  return true;
}

// Only after open_in_place succeeded: the ICV verified and the replay window took the
// sequence number, so neither a forgery nor a replay from elsewhere is reported.
void InboundPipeline::note_source(uint32_t spi, Entry& e, const InPacket& p) {
  if (!p.source || *p.source == e.peer || e.reported == *p.source) return;
  e.reported = *p.source;
  peer_changes_.push_back(PeerChange{spi, *p.source}); // rare: allocates only on a move
}

bool InboundPipeline::remove(uint32_t spi) {
  auto it = sas_.find(spi);
  if (it == sas_.end()) return false;
  retired_ += it->second.sa.stats();
  sas_.erase(it);
  return true;
}

bool InboundPipeline::deliver(const Entry& e, const Opened& o, const InPacket& p, uint8_t* floor,
                              MutBytes& out) {
  MutBytes payload = o.payload;
  if (payload.empty()) {
    ++local_.bad_inner;
    return false;
  }
  if (e.info.mode == EspMode::tunnel) {
    // RFC 4303 2.6: Next Header 4 or 41 says what the inner packet is.
    if (tunnel_next_header(payload) != o.next_header) {
      ++local_.bad_inner;
      return false;
    }
  } else {
    payload = rebuild_ip_header(payload, floor, p.esp.data() + p.esp.size(), e.info, o.next_header);
    if (payload.empty()) {
      ++local_.bad_inner;
      return false;
    }
  }
  // RFC 4301 5.2 step 4: what an SA brings in must lie within its selectors.
  PacketSelector sel;
  if (!read_packet_selector(payload, sel)) {
    ++local_.bad_inner;
    return false;
  }
  if (auto v = check_inbound(e.info.selectors, sel); v != SelectorVerdict::match) {
    count_selector_drop(local_, v);
    return false;
  }
  out = payload;
  return true;
}

size_t InboundPipeline::open_batch(std::span<const InPacket> in, std::span<MutBytes> out) {
  size_t n = 0;
  uint8_t* prev_end = nullptr; // end of the packet delivered last
  for (const InPacket& p : in) {
    if (n >= out.size()) break;
    EspHeader h;
    if (!read_esp_header(p.esp, h)) {
      ++local_.malformed;
      continue;
    }
    auto it = sas_.find(h.spi);
    if (it == sas_.end()) {
      ++local_.unknown_spi;
      continue;
    }
    Entry& e = it->second;
    Opened o = e.sa.open_in_place(p.esp);
    if (!o) continue; // counted by the SA (replay, ICV, padding, ...)
    note_source(h.spi, e, p);
    uint8_t* floor = p.floor ? p.floor : p.esp.data();
    // Same buffer (a GRO batch): never below what was delivered before.
    auto at = [](const uint8_t* q) { return reinterpret_cast<uintptr_t>(q); };
    if (prev_end && at(prev_end) > at(floor) && at(prev_end) <= at(p.esp.data())) floor = prev_end;
    if (deliver(e, o, p, floor, out[n])) {
      prev_end = out[n].data() + out[n].size();
      ++n;
    }
  }
  return n;
}

InStats InboundPipeline::stats() const {
  InStats s = retired_;
  for (const auto& [spi, e] : sas_)
    s += e.sa.stats();
  s.unknown_spi += local_.unknown_spi;
  s.malformed += local_.malformed;
  add_delivery_drops(s, local_);
  return s;
}

} // namespace ikekit::esp
