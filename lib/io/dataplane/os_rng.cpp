#include "io/dataplane/os_rng.hpp"

#include "base/secret_bytes.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/random.h>

namespace ikekit::io::dataplane {

OsRng::~OsRng() { secure_zero(pool_.data(), pool_.size()); }

void OsRng::refill() {
  size_t got = 0;
  while (got < pool_.size()) {
    ssize_t n = ::getrandom(pool_.data() + got, pool_.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom with flags 0 only fails for bad arguments: a broken invariant.
      std::abort();
    }
    got += size_t(n);
  }
  used_ = 0;
}

void OsRng::fill(MutBytes out) {
  size_t done = 0;
  while (done < out.size()) {
    if (used_ == pool_.size()) refill();
    size_t n = std::min(out.size() - done, pool_.size() - used_);
    std::memcpy(out.data() + done, pool_.data() + used_, n);
    secure_zero(pool_.data() + used_, n); // never hand out the same bytes twice
    used_ += n;
    done += n;
  }
}

} // namespace ikekit::io::dataplane
