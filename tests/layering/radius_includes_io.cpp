// Compiled against the radius layer only: io sits above radius (DESIGN 2; radius is
// sans-I/O and io drives it), so this include must not resolve. tests/layering/tests.cmake
// expects the compiler to say so; compiled against io it builds.
#include "io/radius_transport.hpp"

int layering_probe_radius() { return 0; }
