# Precompiled headers (IKEKIT_PCH, off by default; scripts/test.sh turns it on for the
# sanitizer pass). Most of a translation unit's compile time here is parsing the C++20
# standard library (~45,000 lines after preprocessing, before any ikekit header) and, in a
# test, catch.hpp. Two headers are precompiled once per build: the standard headers most
# files include (for libraries, tools and fuzz targets) and the same plus catch.hpp (for
# the test executables); every other target reuses one (REUSE_FROM). Measured in README.
#
# Only for unoptimised builds: with GCC 12 a precompiled libstdc++ loses its system-header
# status for the warnings -O2 computes after inlining (-Warray-bounds in string's
# operator+ from base/hex.cpp, say), which -Werror then turns into errors. Files still
# include what they use: the default build has no precompiled header to hide a missing one.
#
# ccache: a file compiled with a precompiled header is cached only with sloppiness
# pch_defines,time_macros; when the launcher is ccache these are added to the configured
# sloppiness for ikekit's compiles (CCACHE_SLOPPINESS in the launcher).
option(IKEKIT_PCH "Precompile the standard headers and catch.hpp (unoptimised builds)" OFF)
if(IKEKIT_PCH AND CMAKE_BUILD_TYPE MATCHES "Rel")
  message(FATAL_ERROR "IKEKIT_PCH is for unoptimised builds (cmake/pch.cmake says why)")
endif()
set(IKEKIT_PCH_STD <algorithm> <array> <chrono> <cstddef> <cstdint> <cstring> <functional>
                   <map> <memory> <optional> <span> <string> <string_view> <vector>)

# The targets the others reuse from; each compiles one empty file. (A macro: Catch2's
# find_package must set its module path in the top-level scope, for include(Catch).)
macro(ikekit_pch_targets)
  if(IKEKIT_PCH)
    file(WRITE ${CMAKE_BINARY_DIR}/pch/empty.cpp "// precompiled-header carrier (cmake/pch.cmake)\n")
    add_library(ikekit_pch_std OBJECT ${CMAKE_BINARY_DIR}/pch/empty.cpp)
    target_precompile_headers(ikekit_pch_std PRIVATE ${IKEKIT_PCH_STD})
    if(IKEKIT_TESTS)
      find_package(Catch2 2 REQUIRED)
      add_library(ikekit_pch_test OBJECT ${CMAKE_BINARY_DIR}/pch/empty.cpp)
      target_link_libraries(ikekit_pch_test PRIVATE Catch2::Catch2)
      target_precompile_headers(ikekit_pch_test PRIVATE ${IKEKIT_PCH_STD} <catch2/catch.hpp>)
    endif()
  endif()
endmacro()

# Every compiled target in `targets` reuses a precompiled header: the test one when it links
# Catch2, else the standard one. Left out: targets built only on demand (the layering
# probes, whose compile errors tests/layering matches) and catch_main.cpp, which must
# define CATCH_CONFIG_MAIN before catch.hpp is read.
function(ikekit_use_pch targets)
  if(NOT IKEKIT_PCH)
    return()
  endif()
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    get_target_property(not_in_all ${t} EXCLUDE_FROM_ALL)
    if(NOT type MATCHES "^(STATIC_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$" OR not_in_all
       OR t MATCHES "^ikekit_pch_" OR t STREQUAL ikekit_catch_main)
      continue()
    endif()
    get_target_property(links ${t} LINK_LIBRARIES)
    if(IKEKIT_TESTS AND "Catch2::Catch2" IN_LIST links)
      target_precompile_headers(${t} REUSE_FROM ikekit_pch_test)
    else()
      target_precompile_headers(${t} REUSE_FROM ikekit_pch_std)
    endif()
  endforeach()
endfunction()

if(IKEKIT_PCH AND CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache$")
  execute_process(COMMAND ${CMAKE_CXX_COMPILER_LAUNCHER} --get-config sloppiness
                  OUTPUT_VARIABLE ikekit_sloppiness OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  string(REPLACE " " "" ikekit_sloppiness "${ikekit_sloppiness}")
  string(REPLACE "," ";" ikekit_sloppiness "${ikekit_sloppiness}")
  list(APPEND ikekit_sloppiness pch_defines time_macros)  # CMake list: a;b;c
  list(REMOVE_DUPLICATES ikekit_sloppiness)
  list(REMOVE_ITEM ikekit_sloppiness "")
  string(REPLACE ";" "," ikekit_sloppiness "${ikekit_sloppiness}")
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=${ikekit_sloppiness}
      ${CMAKE_CXX_COMPILER_LAUNCHER})
endif()
