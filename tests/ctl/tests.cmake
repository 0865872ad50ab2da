# ikectl and the control protocol (ikekit.ctl/1). Unit tests (label unit): the sans-I/O
# protocol in lib/ctl (framing, requests, errors, commands against two engines on the
# simulated network of tests/engine) and the unix-socket server in lib/io (real socket
# in a temporary directory, no root). Integration (label interop): two ike-up daemons
# in network namespaces driven with ikectl; root only, exit 77 with a reason elsewhere.
file(GLOB ctl_unit_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/unit_*.cpp)
add_executable(unit_ctl_protocol ${ctl_unit_srcs} $<TARGET_OBJECTS:ikekit_catch_main>)
target_include_directories(unit_ctl_protocol PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../engine)
target_link_libraries(unit_ctl_protocol PRIVATE ikekit_io ikekit_sim ikekit_test_support Catch2::Catch2)
set_target_properties(unit_ctl_protocol PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
ikekit_catch_tests(unit_ctl_protocol "ctl: ")

if(TARGET ikectl AND TARGET ike-up)
  add_test(NAME "ctl: ikectl drives two ike-up daemons in namespaces (list-sas, rekey, terminate, monitor, slow client)"
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/ikectl_pair.sh $<TARGET_FILE:ikectl> $<TARGET_FILE:ike-up>)
  set_tests_properties("ctl: ikectl drives two ike-up daemons in namespaces (list-sas, rekey, terminate, monitor, slow client)"
                       PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()

# Issue 15: ikectl profile against one ike-up EAP server; every format parsed back and
# connected with (strongSwan, ike-up); refused proposals exit 2. Root only.
if(TARGET ikectl AND TARGET ike-up)
  set(name "ctl: ikectl profile: mobileconfig, sswan, powershell, swanctl and ike-up profiles connect to ike-up")
  add_test(NAME ${name} COMMAND ${CMAKE_CURRENT_LIST_DIR}/profiles_swan.sh $<TARGET_FILE:ikectl> $<TARGET_FILE:ike-up>)
  set_tests_properties(${name} PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 60
                       ENVIRONMENT "IKE_BENCH=$<TARGET_FILE:ike-bench>")
endif()
