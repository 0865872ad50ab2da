// base/fd.hpp: an owned descriptor closes what it holds; cloexec_pipe's two ends are
// connected and do not leak into programs this process starts.
#include "base/fd.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using namespace ikekit;

TEST_CASE("cloexec_pipe: connected ends, both close-on-exec, closed with their Fd", "[base][fd]") {
  int read_end = -1;
  {
    auto p = cloexec_pipe("test");
    REQUIRE(p);
    read_end = p->read.get();
    CHECK((::fcntl(p->read.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(p->write.get(), F_GETFD) & FD_CLOEXEC) != 0);
    const char msg[] = "ping";
    REQUIRE(::write(p->write.get(), msg, 4) == 4);
    p->write.reset(); // EOF after the four bytes
    char got[8] = {};
    CHECK(::read(p->read.get(), got, sizeof got) == 4);
    CHECK(std::string(got) == "ping");
    CHECK(::read(p->read.get(), got, sizeof got) == 0);
  }
  CHECK(::fcntl(read_end, F_GETFD) == -1); // closed when the pair went out of scope
}
