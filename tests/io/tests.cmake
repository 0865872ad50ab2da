# I/O layer tests: the privileged namespace tests (label interop) run as root in fresh
# network namespaces (netns-run.sh) and print "SKIP: <reason>" and exit 77 elsewhere.
add_executable(io_netns_test ${CMAKE_CURRENT_LIST_DIR}/io_netns_test.cpp)
target_link_libraries(io_netns_test PRIVATE ikekit_io ikekit_test_support)
set_target_properties(io_netns_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
foreach(sub tun xfrm xfrm-encap tun-rekey)
  add_test(NAME "io: netns ${sub}"
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/netns-run.sh $<TARGET_FILE:io_netns_test> ${sub})
  set_tests_properties("io: netns ${sub}" PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                       TIMEOUT 60)
endforeach()
# Traffic selectors in both data planes (issue 11): owners, the inbound check, XFRM rekey;
# a socket per path on shared sockets (issue 14, tun-paths: about 1 s).
add_executable(io_netns_dataplane_test ${CMAKE_CURRENT_LIST_DIR}/io_netns_dataplane_test.cpp)
target_link_libraries(io_netns_dataplane_test PRIVATE ikekit_io ikekit_test_support)
set_target_properties(io_netns_dataplane_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                         ${CMAKE_BINARY_DIR}/tests)
# xfrm-mapping (issue 14): the XFRM_MSG_MAPPING subscription, well under a second.
foreach(sub tun-owners tun-inbound tun-paths xfrm-rekey xfrm-mapping)
  add_test(NAME "io: netns ${sub}"
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/netns-run.sh $<TARGET_FILE:io_netns_dataplane_test>
                   ${sub})
  set_tests_properties("io: netns ${sub}" PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                       TIMEOUT 60)
endforeach()
# Both outer families on one TUN data plane (issue 16): a pair moves from IPv4 to IPv6
# (ESP in UDP, then plain ESP), plain IPv6 ESP comes in; well under a second.
add_executable(io_netns_dual_test ${CMAKE_CURRENT_LIST_DIR}/io_netns_dual_test.cpp)
target_link_libraries(io_netns_dual_test PRIVATE ikekit_io ikekit_test_support)
set_target_properties(io_netns_dual_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                    ${CMAKE_BINARY_DIR}/tests)
add_test(NAME "io: netns tun-dual"
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/netns-run.sh $<TARGET_FILE:io_netns_dual_test> tun-dual)
set_tests_properties("io: netns tun-dual" PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                     TIMEOUT 60)
