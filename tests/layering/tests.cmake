# The layer boundaries are enforced by include roots (lib/CMakeLists.txt): these tests
# prove it. A probe that includes an ike header is compiled once against the wire layer,
# where it must fail for exactly that reason, and once against the ike layer, where it
# must build (so the first test cannot pass because the probe is broken).
set(probe ${CMAKE_CURRENT_LIST_DIR}/wire_includes_ike.cpp)
foreach(layer wire ike)
  add_library(layering_probe_${layer} STATIC EXCLUDE_FROM_ALL ${probe})
  target_link_libraries(layering_probe_${layer} PRIVATE ikekit_${layer})
endforeach()
add_test(NAME "layering: wire cannot include ike"
         COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target layering_probe_wire)
set_tests_properties("layering: wire cannot include ike" PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "ike/engine.hpp: No such file or directory"
  RESOURCE_LOCK build_dir)
add_test(NAME "layering: ike can include ike"
         COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target layering_probe_ike)
set_tests_properties("layering: ike can include ike" PROPERTIES LABELS unit RESOURCE_LOCK build_dir)
add_test(NAME "layering: no upward edge"
         COMMAND python3 ${CMAKE_SOURCE_DIR}/scripts/layer-graph.py --check ${CMAKE_BINARY_DIR})
set_tests_properties("layering: no upward edge" PROPERTIES LABELS unit)
