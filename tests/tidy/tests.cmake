# The clang-tidy gate of scripts/test.sh (scripts/tidy.sh) can fail: a planted bug, seen
# through a unity batch as the whole run sees lib/ and tools/, exits 1 and is named (~2 s).
add_test(NAME "tidy: a planted bug fails the gate" COMMAND ${CMAKE_CURRENT_LIST_DIR}/gate_test.sh)
set_tests_properties("tidy: a planted bug fails the gate" PROPERTIES LABELS lint
  SKIP_RETURN_CODE 77 TIMEOUT 120 RESOURCE_LOCK build_tidy)
