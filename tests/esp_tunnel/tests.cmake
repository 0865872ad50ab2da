# esp-tunnel: two network namespaces joined by a veth, one esp-tunnel in each (label
# interop; they need root, /dev/net/tun, ping, dumpcap/tshark, iperf3, python3 and
# skip with exit 77 and a reason where those are missing). Plus flag checks that run
# anywhere (label unit) and the sans-I/O data plane unit tests.
if(TARGET esp-tunnel)
  set(esp_tunnel_dir ${CMAKE_CURRENT_LIST_DIR})
  set(esp_tunnel_tests)
  foreach(suite aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256 aes256-sha512)
    add_test(NAME "esp-tunnel: ping ${suite} over UDP 4500, tshark decrypts"
             COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> ping ${suite} udp)
    list(APPEND esp_tunnel_tests "esp-tunnel: ping ${suite} over UDP 4500, tshark decrypts")
  endforeach()
  add_test(NAME "esp-tunnel: ping aes256gcm16 over raw ESP (protocol 50), tshark decrypts"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> ping aes256gcm16 esp)
  add_test(NAME "esp-tunnel: keys from an ikekit key log (chacha20poly1305)"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> keys chacha20poly1305)
  add_test(NAME "esp-tunnel: keys from an ikekit key log (aes128-sha256)"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> keys aes128-sha256)
  add_test(NAME "esp-tunnel: iperf3 TCP stream through aes256gcm16"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> iperf aes256gcm16)
  add_test(NAME "esp-tunnel: replayed ESP is dropped and counted"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> replay)
  add_test(NAME "esp-tunnel: xfrm backend (exit 3 without kernel ESP)"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> xfrm)
  add_test(NAME "esp-tunnel: restarts never reuse a sequence number (nonce)"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> restart)
  list(APPEND esp_tunnel_tests
       "esp-tunnel: ping aes256gcm16 over raw ESP (protocol 50), tshark decrypts"
       "esp-tunnel: keys from an ikekit key log (chacha20poly1305)"
       "esp-tunnel: keys from an ikekit key log (aes128-sha256)"
       "esp-tunnel: iperf3 TCP stream through aes256gcm16"
       "esp-tunnel: replayed ESP is dropped and counted"
       "esp-tunnel: xfrm backend (exit 3 without kernel ESP)"
       "esp-tunnel: restarts never reuse a sequence number (nonce)")
  # The same without offloads (esp-tunnel --no-offload: no TSO/GRO on the TUN device,
  # no UDP GSO/GRO), for comparison: both paths must carry the traffic.
  foreach(suite aes256gcm16 chacha20poly1305 aes128-sha256)
    set(name "esp-tunnel --no-offload: ping ${suite} over UDP 4500, tshark decrypts")
    add_test(NAME ${name} COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> ping ${suite} udp)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "ESP_TUNNEL_EXTRA=--no-offload")
    list(APPEND esp_tunnel_tests ${name})
  endforeach()
  foreach(suite aes256gcm16 chacha20poly1305 aes128-sha256)
    set(name "esp-tunnel: iperf3 TCP stream through ${suite}")
    if(NOT suite STREQUAL aes256gcm16)
      add_test(NAME ${name} COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> iperf ${suite})
      list(APPEND esp_tunnel_tests ${name})
      set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
    endif()
    set(name "esp-tunnel --no-offload: iperf3 TCP stream through ${suite}")
    add_test(NAME ${name} COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> iperf ${suite})
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "ESP_TUNNEL_EXTRA=--no-offload" RUN_SERIAL TRUE)
    list(APPEND esp_tunnel_tests ${name})
  endforeach()
  add_test(NAME "esp-tunnel: IPv6 outer and inner, iperf3 and ping (aes256gcm16)"
           COMMAND ${esp_tunnel_dir}/tunnel_test.sh $<TARGET_FILE:esp-tunnel> ipv6 aes256gcm16)
  list(APPEND esp_tunnel_tests "esp-tunnel: IPv6 outer and inner, iperf3 and ping (aes256gcm16)")
  # The namespaces are named per run (ikesp<N>-*), so these may run in parallel, but
  # the iperf3 one measures throughput: keep it alone.
  set_tests_properties(${esp_tunnel_tests} PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 90)
  set_tests_properties("esp-tunnel: iperf3 TCP stream through aes256gcm16" PROPERTIES RUN_SERIAL TRUE)

  add_test(NAME "esp-tunnel: usage errors name the flag"
           COMMAND ${esp_tunnel_dir}/usage_test.sh $<TARGET_FILE:esp-tunnel>)
  set_tests_properties("esp-tunnel: usage errors name the flag" PROPERTIES LABELS unit)
endif()

# Sans-I/O unit tests of the data plane helpers (ChildSaSpec validation, selectors,
# XFRM plan, buffer layout) and esp-tunnel's option parsing.
file(GLOB esp_tunnel_unit_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_*.cpp)
if(esp_tunnel_unit_srcs)
  add_executable(unit_esp_tunnel ${esp_tunnel_unit_srcs}
                 ${CMAKE_SOURCE_DIR}/tools/esp-tunnel/options.cpp
                 ${CMAKE_SOURCE_DIR}/tools/esp-tunnel/key_material.cpp
                 ${CMAKE_SOURCE_DIR}/tools/esp-tunnel/seq_state.cpp
                 $<TARGET_OBJECTS:ikekit_catch_main>)
  target_include_directories(unit_esp_tunnel PRIVATE ${CMAKE_SOURCE_DIR}/tools/esp-tunnel)
  target_link_libraries(unit_esp_tunnel PRIVATE ikekit_cli ikekit_decode ikekit_test_support Catch2::Catch2)
  set_target_properties(unit_esp_tunnel PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  ikekit_catch_tests(unit_esp_tunnel "esp-tunnel unit: ")
endif()
