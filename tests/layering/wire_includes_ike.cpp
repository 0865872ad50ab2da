// Compiled against the wire layer only: ike sits above wire (DESIGN 2), so this include
// must not resolve. tests/layering/tests.cmake expects the compiler to say so.
#include "ike/engine.hpp"

int layering_probe() { return 0; }
