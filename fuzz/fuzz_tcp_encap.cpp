// Fuzz target for the RFC 9329 TCP stream codec (lib/wire/tcp_encap).
//
// Input: flags:u8 (bit 0: the stream carries the "IKETCP" prefix, i.e. the originator's
// direction), limit:u8 (the reader's frame limit: 0 = 65535, else 2 + limit * 16), then
// chunks, each a cut:u8 saying how many stream bytes the next chunk takes (0: all the
// rest), then those bytes; the stream is the concatenation of the chunk bytes.
// Invariants: the chunked reader returns exactly what a reader given the whole stream
// in one piece returns (frames, their kinds and bytes, the drop errors, and its stats);
// no frame is longer than the limit; a closed reader returns nothing more; every frame
// re-encoded by the writer and read back gives the same frames.
#include "fuzz_input.hpp"
#include "wire/tcp_encap.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace ikekit;
using namespace ikekit::wire;

namespace {

struct Out {
  std::vector<std::pair<UdpKind, Bytes>> frames;
  std::vector<std::string> errors;
};

void drain(TcpEncapReader& r, Out& out, size_t limit) {
  while (auto f = r.next()) {
    if (*f) {
      IKEKIT_FUZZ_CHECK((*f)->kind != UdpKind::keepalive);
      IKEKIT_FUZZ_CHECK((*f)->data.size() + kTcpLengthSize <= limit);
      out.frames.emplace_back((*f)->kind, Bytes((*f)->data.begin(), (*f)->data.end()));
    } else {
      out.errors.push_back(f->error().field + ": " + f->error().message);
    }
  }
}

bool same_stats(const TcpEncapStats& a, const TcpEncapStats& b) {
  for (size_t i = 0; i < kTcpDropReasons; ++i)
    if (a.dropped[i] != b.dropped[i]) return false;
  return a.ike == b.ike && a.esp == b.esp && a.keepalives == b.keepalives && a.bytes == b.bytes;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  const bool prefix = in.u8() & 1;
  const uint8_t l = in.u8();
  const size_t limit = l == 0 ? kTcpMaxFrame : 2 + size_t(l) * 16;

  Bytes stream;
  TcpEncapReader chunked(prefix, limit);
  Out a;
  while (!in.empty()) {
    const uint8_t cut = in.u8();
    ByteView chunk = cut == 0 ? in.rest() : in.take(cut);
    stream.insert(stream.end(), chunk.begin(), chunk.end());
    chunked.feed(chunk);
    drain(chunked, a, limit);
    if (chunked.closed()) {
      chunked.feed(chunk);
      IKEKIT_FUZZ_CHECK(!chunked.next());
    }
  }

  TcpEncapReader whole(prefix, limit);
  Out b;
  whole.feed(stream);
  drain(whole, b, limit);
  IKEKIT_FUZZ_CHECK(a.frames == b.frames);
  IKEKIT_FUZZ_CHECK(a.errors == b.errors);
  IKEKIT_FUZZ_CHECK(same_stats(chunked.stats(), whole.stats()));
  IKEKIT_FUZZ_CHECK(whole.stats().bytes <= stream.size());

  // Re-encode what was read and read it back.
  Bytes again(stream.size() + kTcpEncapPrefix.size() + 4 * a.frames.size() + 16);
  TcpEncapWriter w(again);
  if (prefix) IKEKIT_FUZZ_CHECK(w.prefix());
  for (const auto& [kind, body] : a.frames)
    IKEKIT_FUZZ_CHECK(kind == UdpKind::ike ? w.ike(body) : w.esp(body));
  TcpEncapReader back(prefix, limit);
  Out c;
  back.feed(w.written());
  drain(back, c, limit);
  IKEKIT_FUZZ_CHECK(c.frames == a.frames);
  IKEKIT_FUZZ_CHECK(c.errors.empty());
  return 0;
}
