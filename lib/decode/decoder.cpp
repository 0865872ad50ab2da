#include "decode/decoder.hpp"

#include "base/hex.hpp"
#include "esp/layout.hpp"
#include "wire/ip.hpp"
#include "wire/rules.hpp"
#include "wire/udp_encap.hpp"

namespace ikekit::decode {

namespace {

// The inner packet of a tunnel-mode ESP payload (next header 4 or 41, RFC 4303 2.6), or
// just the protocol in transport mode. An inner IPv6 packet's protocol is its first Next
// Header, as tshark shows it (ipv6.nxt).
InnerPacket inner_packet(ByteView payload, uint8_t next_header) {
  InnerPacket in;
  in.length = payload.size();
  in.protocol = next_header;
  wire::IpHeader h;
  if (esp::tunnel_next_header(payload) != next_header ||
      wire::parse_ip(payload, h, wire::Ipv6Walk::none) != wire::IpError::none)
    return in;
  const bool v4 = h.version == 4;
  in.ip_version = h.version;
  in.protocol = h.protocol;
  in.src = v4 ? IpAddress::v4(h.src) : IpAddress::v6(h.src);
  in.dst = v4 ? IpAddress::v4(h.dst) : IpAddress::v6(h.dst);
  return in;
}

Error esp_drop_error(esp::OpenStatus s) {
  switch (s) {
  case esp::OpenStatus::bad_icv:
    return make_error(Errc::integrity, "esp.icv",
                      "integrity check failed: wrong key or algorithm, or a damaged packet");
  case esp::OpenStatus::replay:
    return make_error(Errc::protocol, "esp.sequence_number",
                      "sequence number already seen: a duplicate in the capture");
  case esp::OpenStatus::too_old:
    return make_error(Errc::protocol, "esp.sequence_number",
                      "sequence number left of the replay window");
  case esp::OpenStatus::bad_padding:
    return make_error(Errc::bad_value, "esp.padding", "padding is not 1, 2, 3, ... (RFC 4303 2.4)");
  case esp::OpenStatus::malformed:
    return make_error(Errc::bad_length, "esp",
                      "too short for this SA's header, IV, trailer and ICV");
  default:
    return make_error(Errc::crypto, "esp", std::string(esp::open_status_name(s)));
  }
}

} // namespace

Decoder::Decoder(KeyStore& keys, DecoderOptions options)
    : keys_(keys), options_(std::move(options)), tracker_(keys) {}

Decoder::~Decoder() = default;

void Decoder::malformed(const PacketMeta& meta, std::string kind, Error e, RecordSink& sink) {
  ++summary_.malformed;
  sink.on_malformed(MalformedRecord{meta, std::move(kind), std::move(e)});
}

void Decoder::feed(const Frame& frame, RecordSink& sink) {
  ++summary_.packets;
  PacketMeta meta;
  meta.frame = frame.number;
  meta.ts_sec = frame.ts_sec;
  meta.ts_usec = frame.ts_usec;
  last_frame_ = meta;
  reassembler_.set_frame(frame.number, frame.ts_sec, frame.ts_usec);
  auto packet = dissect_frame(frame.linktype, frame.data, reassembler_);
  for (const auto& lost : reassembler_.take_abandoned())
    report_incomplete(lost, sink);
  summary_.fragments_dropped = reassembler_.dropped_fragments() + tracker_.dropped_fragments();
  if (!packet) {
    // Only a damaged frame is malformed; one we cannot read at all (link type) is "other".
    if (packet.error().code == Errc::unsupported) {
      ++summary_.other;
      return;
    }
    return malformed(meta, "frame", packet.error(), sink);
  }
  if (!*packet) {
    ++summary_.other;
    return;
  }
  const Packet& p = **packet;
  meta.src = {p.src, p.src_port};
  meta.dst = {p.dst, p.dst_port};
  if (p.ip_protocol == wire::kIpProtoEsp) return on_esp(meta, p.payload, Transport::ip, sink);
  auto is = [&](const std::set<uint16_t>& ports) {
    return ports.count(p.src_port) || ports.count(p.dst_port);
  };
  if (p.ip_protocol == wire::kIpProtoTcp && is(options_.tcp_ports)) return on_tcp(meta, p, sink);
  if (p.ip_protocol != wire::kIpProtoUdp) {
    ++summary_.other;
    return;
  }
  if (is(options_.natt_ports)) return on_encapsulated(meta, p, sink);
  if (is(options_.ike_ports)) return on_ike(meta, p.payload, Transport::udp, false, sink);
  ++summary_.other;
}

// RFC 3948 2.2/2.3 on a NAT-T port: a lone 0xff is a NAT keepalive, four zero bytes mark
// IKE, anything else is ESP (wire::classify_udp_encap, which also frames RFC 9329 TCP).
void Decoder::on_encapsulated(const PacketMeta& meta, const Packet& p, RecordSink& sink) {
  auto payload = wire::classify_udp_encap(p.payload);
  if (!payload) {
    const bool ike = payload.error().field == "udp.ike";
    return malformed(meta, ike ? "ike" : "esp", payload.error(), sink);
  }
  switch (payload->kind) {
  case wire::UdpKind::keepalive:
    ++udp_keepalives_;
    summary_.nat_keepalives = udp_keepalives_ + tcp_.keepalives();
    return;
  case wire::UdpKind::ike:
    return on_ike(meta, payload->data, Transport::udp, true, sink);
  case wire::UdpKind::esp:
    return on_esp(meta, payload->data, Transport::udp, sink);
  }
}

// RFC 9329: a segment of a TCP-encapsulation connection, put in order with the rest of
// its direction; each IKE message or ESP packet it completes is reported at this frame
// (as tshark reports a reassembled PDU at the frame that completes it).
void Decoder::on_tcp(PacketMeta meta, const Packet& p, RecordSink& sink) {
  ++summary_.tcp_segments;
  if (p.tcp_error) return malformed(meta, "frame", *p.tcp_error, sink);
  tcp_.add(TcpSegment{meta.src, meta.dst, p.tcp_seq, p.tcp_flags, p.payload});
  drain_tcp(meta, sink);
}

void Decoder::drain_tcp(PacketMeta meta, RecordSink& sink) {
  while (auto item = tcp_.next()) {
    meta.src = item->src;
    meta.dst = item->dst;
    if (!item->frame) {
      malformed(meta, "tcp", item->frame.error(), sink);
      continue;
    }
    if (item->frame->kind == wire::UdpKind::ike)
      on_ike(meta, item->frame->data, Transport::tcp, true, sink);
    else
      on_esp(meta, item->frame->data, Transport::tcp, sink);
  }
  summary_.tcp_retransmitted = tcp_.retransmitted_segments();
  summary_.nat_keepalives = udp_keepalives_ + tcp_.keepalives();
}

void Decoder::on_ike(const PacketMeta& meta, ByteView datagram, Transport transport, bool marker,
                     RecordSink& sink) {
  auto msg = wire::parse_message(datagram, {.reject_unknown_critical = false});
  if (!msg) return malformed(meta, "ike", msg.error(), sink);
  ++summary_.ike_messages;
  IkeRecord record;
  record.meta = meta;
  record.transport = transport;
  record.non_esp_marker = marker;
  record.message = &*msg;
  tracker_.process(meta, *msg, record);
  summary_.sa_moves = tracker_.moves();
  check_payload_rules(record);
  summary_.fragments_dropped = reassembler_.dropped_fragments() + tracker_.dropped_fragments();
  if (record.encrypted) {
    if (record.encrypted->decrypted && record.encrypted->integrity != Integrity::failed)
      ++summary_.decrypted;
    else
      count_undecrypted(record.encrypted->problem);
    if (record.encrypted->inner_error) ++summary_.malformed;
  }
  sink.on_ike(record);
}

// The same check the engine makes before it acts on a message (lib/ike/receive.cpp), so
// a capture shows why a peer dropped what it was sent.
void Decoder::check_payload_rules(IkeRecord& record) {
  const wire::Message& m = *record.message;
  const auto outer = wire::payload_types(m.payloads);
  std::vector<wire::PayloadType> inner;
  if (m.header.exchange_type != wire::ExchangeType::ike_sa_init) {
    if (!record.encrypted || !record.encrypted->inner) return; // inner payloads unknown
    inner = wire::payload_types(*record.encrypted->inner);
  }
  auto ok = wire::check_payload_rules(m.header.exchange_type, m.header.response(), outer, inner);
  if (ok) {
    record.payload_rules = RulesCheck::ok;
    return;
  }
  if (ok.error().code == Errc::unsupported) return; // an exchange type with no table
  record.payload_rules = RulesCheck::violated;
  record.payload_rules_error = ok.error();
  ++summary_.payload_rule_violations;
}

esp::EspSaIn* Decoder::esp_sa_for(ChildSaKeys& keys, std::optional<Error>& problem) {
  auto it = esp_sas_.find(&keys);
  if (it != esp_sas_.end() && it->second.generation == keys.generation) return it->second.sa.get();
  const crypto::TransformInfo* encr = keys.encr;
  const crypto::TransformInfo* integ = keys.integ;
  if (!encr) {
    if (auto algos = tracker_.child_algorithms(keys.spi)) {
      encr = algos->encr;
      integ = algos->integ;
    }
  }
  if (!encr) {
    problem = make_error(Errc::not_found, "algorithms",
                         "the key file names no algorithms for SPI " + to_hex_u32(keys.spi) +
                             " and the capture does not show the exchange that created it");
    return nullptr;
  }
  esp::SaParams params;
  params.spi = keys.spi;
  params.encr = encr;
  params.encr_key = keys.encr_key.reveal();
  params.integ = encr->aead ? nullptr : integ;
  params.integ_key = params.integ ? keys.integ_key.reveal() : ByteView();
  params.replay_window = 4096;
  auto sa = esp::EspSaIn::create(params);
  if (!sa) {
    problem = sa.error();
    return nullptr;
  }
  CachedSa& cached = esp_sas_[&keys];
  cached.generation = keys.generation;
  cached.sa = std::make_unique<esp::EspSaIn>(std::move(*sa));
  return cached.sa.get();
}

void Decoder::on_esp(const PacketMeta& meta, ByteView esp, Transport transport, RecordSink& sink) {
  if (esp.size() < 8)
    return malformed(meta, "esp",
                     make_error(Errc::truncated, "esp", "shorter than the 8-byte ESP header"),
                     sink);
  ++summary_.esp_packets;
  EspRecord r;
  r.meta = meta;
  r.transport = transport;
  r.udp_encap = transport == Transport::udp;
  r.spi = load_be32(esp.data());
  r.seq = load_be32(esp.data() + 4);
  r.length = esp.size();
  ChildSaKeys* keys = keys_.find_child(r.spi, meta.dst.address);
  if (!keys) keys = keys_.resolve_installed(r.spi, meta.dst.address);
  if (!keys) {
    std::string why = "no key for SPI " + to_hex_u32(r.spi);
    if (auto note = tracker_.child_note(r.spi)) why += ": " + *note;
    r.problem = make_error(Errc::not_found, "keys", why);
  } else if (esp::EspSaIn* sa = esp_sa_for(*keys, r.problem)) {
    scratch_.assign(esp.begin(), esp.end());
    esp::Opened opened = sa->open_in_place(scratch_);
    if (opened) {
      r.decrypted = true;
      r.integrity = Integrity::ok;
      r.next_header = opened.next_header;
      r.inner = inner_packet(opened.payload, opened.next_header);
    } else {
      r.integrity =
          opened.status == esp::OpenStatus::bad_icv ? Integrity::failed : Integrity::unchecked;
      r.problem = esp_drop_error(opened.status);
      // The ICV passed for a bad-padding packet: decrypted, but the trailer is wrong.
      if (opened.status == esp::OpenStatus::bad_padding) r.integrity = Integrity::ok;
    }
  }
  if (keys && keys->ike_sa) r.sa_moved = tracker_.last_move(*keys->ike_sa);
  if (r.decrypted)
    ++summary_.decrypted;
  else
    count_undecrypted(r.problem);
  sink.on_esp(r);
}

void Decoder::count_undecrypted(const std::optional<Error>& problem) {
  ++summary_.undecryptable;
  if (problem && problem->code == Errc::not_found && problem->field == "keys") ++summary_.no_key;
}

void Decoder::finish(RecordSink& sink) {
  tcp_.finish();
  drain_tcp(last_frame_, sink); // reported at the last frame
  for (const auto& i : reassembler_.pending())
    report_incomplete(i, sink);
  // Log keys no SA in the capture matched: reported, never used by guess.
  for (const auto& log : keys_.logs())
    for (const auto& u : log.unmatched()) {
      ++summary_.unmatched_keys;
      sink.on_unmatched_keys(u);
    }
}

void Decoder::report_incomplete(const IpReassembler::Incomplete& i, RecordSink& sink) {
  PacketMeta meta;
  meta.frame = i.first_frame;
  meta.ts_sec = i.ts_sec;
  meta.ts_usec = i.ts_usec;
  meta.src = {i.src, 0};
  meta.dst = {i.dst, 0};
  malformed(meta, "ip_fragments", make_error(Errc::truncated, "ip.fragments", i.describe()), sink);
}

} // namespace ikekit::decode
