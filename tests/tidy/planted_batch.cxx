// What CMake's unity build writes (unity_N_cxx.cxx) and scripts/tidy.sh hands to clang-tidy:
// a finding in an included .cpp must still be reported (the header filter is the checkout).
#include "planted_bug.cpp"
