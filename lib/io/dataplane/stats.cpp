#include "io/dataplane/stats.hpp"

namespace ikekit::io::dataplane {

void add_seal_stats(OutStats& to, const esp::SealStats& s) {
  to.packets += s.packets;
  to.bytes += s.bytes;
  to.sa_exhausted += s.sa_exhausted;
  to.no_room += s.no_room;
  to.crypto_error += s.crypto_error;
}

void add_open_stats(InStats& to, const esp::OpenStats& s) {
  to.packets += s.packets;
  to.bytes += s.bytes;
  to.malformed += s.malformed;
  to.unknown_spi += s.unknown_spi;
  to.replay += s.replay;
  to.too_old += s.too_old;
  to.bad_icv += s.bad_icv;
  to.bad_padding += s.bad_padding;
  to.dummy += s.dummy;
  to.crypto_error += s.crypto_error;
}

} // namespace ikekit::io::dataplane
