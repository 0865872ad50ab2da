# ike-bench: unit tests of bench/ (statistics, context, gate) and end-to-end runs of
# the tool (JSON shape, the --baseline gate, exit codes). No timing assertions.
set(bench_test_dir ${CMAKE_CURRENT_LIST_DIR})
if(TARGET ikekit_bench)
  file(GLOB bench_test_srcs CONFIGURE_DEPENDS ${bench_test_dir}/*.cpp)
  add_executable(bench_tests ${bench_test_srcs} $<TARGET_OBJECTS:ikekit_catch_main>)
  target_link_libraries(bench_tests PRIVATE ikekit_bench Catch2::Catch2)
  set_target_properties(bench_tests PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  ikekit_catch_tests(bench_tests "bench: ")
endif()
if(TARGET ike-bench)
  add_test(NAME "bench: ike-bench esp document, gate and exit codes"
           COMMAND python3 ${bench_test_dir}/ike_bench_cli.py $<TARGET_FILE:ike-bench>)
  set_tests_properties("bench: ike-bench esp document, gate and exit codes"
                       PROPERTIES LABELS bench TIMEOUT 120)
endif()
# ike-bench tunnel (root, else skip 77): namespaces, esp-tunnel, wireguard-go,
# strongSwan, iperf3 and ping; the document, the ratios, SIGTERM and the cleanup.
if(TARGET ike-bench AND TARGET esp-tunnel)
  foreach(mode basic peers)
    add_test(NAME "bench: ike-bench tunnel ${mode}"
             COMMAND python3 ${bench_test_dir}/tunnel_cli.py $<TARGET_FILE:ike-bench> ${mode})
    set_tests_properties("bench: ike-bench tunnel ${mode}"
                         PROPERTIES LABELS bench TIMEOUT 90 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
  endforeach()
endif()
# handshake --mode inproc and scale: short runs, the document, the gate, usage errors.
if(TARGET ike-bench)
  add_test(NAME "bench: ike-bench handshake inproc and scale"
           COMMAND python3 ${bench_test_dir}/handshake_scale_cli.py $<TARGET_FILE:ike-bench>)
  set_tests_properties("bench: ike-bench handshake inproc and scale"
                       PROPERTIES LABELS bench TIMEOUT 60)
endif()
# handshake --mode udp (root, else skip 77): ike-bench's initiator against ike-up (and
# strongSwan's charon) in a namespace pair it creates; the result, SIGINT cleanup, exit 3
# without root. ike-bench starts the ike-up next to it.
if(TARGET ike-bench AND TARGET ike-up)
  foreach(peer ikekit strongswan)
    add_test(NAME "bench: ike-bench handshake udp ${peer}"
             COMMAND python3 ${bench_test_dir}/handshake_udp_test.py $<TARGET_FILE:ike-bench> ${peer})
    set_tests_properties("bench: ike-bench handshake udp ${peer}"
                         PROPERTIES LABELS bench TIMEOUT 60 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
  endforeach()
endif()
# flood (root, else skip 77): a 2 s flood from spoofed sources against ike-up in a
# namespace pair, with and without its cookie threshold raised; usage errors, the gate,
# SIGINT cleanup, exit 3 without root.
if(TARGET ike-bench AND TARGET ike-up)
  add_test(NAME "bench: ike-bench flood"
           COMMAND python3 ${bench_test_dir}/flood_test.py $<TARGET_FILE:ike-bench>)
  set_tests_properties("bench: ike-bench flood"
                       PROPERTIES LABELS bench TIMEOUT 120 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
endif()
# roam (root, else skip 77): one short round per peer (ikekit, strongSwan, wireguard-go)
# of a client moving between two NATed access networks; the document is complete.
if(TARGET ike-bench AND TARGET ike-up AND TARGET ikectl)
  add_test(NAME "bench: ike-bench roam"
           COMMAND python3 ${bench_test_dir}/roam_cli.py $<TARGET_FILE:ike-bench>)
  set_tests_properties("bench: ike-bench roam"
                       PROPERTIES LABELS bench TIMEOUT 90 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
endif()
