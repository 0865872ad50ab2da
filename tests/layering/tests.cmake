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

# The eap and radius layers (issue 13): radius sees neither io above it nor its sibling eap.
foreach(probe radius_includes_io:io/radius_transport.hpp:io radius_includes_eap:eap/packet.hpp:eap)
  string(REPLACE ":" ";" parts ${probe})
  list(GET parts 0 name)
  list(GET parts 1 header)
  list(GET parts 2 above)
  foreach(layer radius ${above})
    add_library(layering_${name}_${layer} STATIC EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/${name}.cpp)
    target_link_libraries(layering_${name}_${layer} PRIVATE ikekit_${layer})
  endforeach()
  add_test(NAME "layering: ${name} refused"
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target layering_${name}_radius)
  set_tests_properties("layering: ${name} refused" PROPERTIES LABELS unit
    PASS_REGULAR_EXPRESSION "${header}: No such file or directory" RESOURCE_LOCK build_dir)
  add_test(NAME "layering: ${name} builds against ${above}"
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target layering_${name}_${above})
  set_tests_properties("layering: ${name} builds against ${above}" PROPERTIES LABELS unit
    RESOURCE_LOCK build_dir)
endforeach()
