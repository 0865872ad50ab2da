# ike-up against a real strongSwan in network namespaces (label interop; root; skip 77
# with a reason where root or strongSwan is missing, which CI does not allow).
# lib/swan.sh writes strongswan.conf with ike-bench's writer (IKE_BENCH).
set(interop_dir ${CMAKE_CURRENT_SOURCE_DIR}/interop)
set(ikeup_scenarios psk-aes256gcm16-ecp256 psk-aes128-sha256-modp2048 psk-chacha20-x25519
                    psk-aes256-sha384-ecp384 ecdsa-aes256gcm16-ecp256 rsa-aes256gcm16-ecp256
                    ed25519-aes256gcm16-ecp256)
set(ikeup_index 0)
foreach(s ${ikeup_scenarios})
  foreach(direction ike-up-initiates swan-initiates)
    math(EXPR ikeup_index "${ikeup_index} + 1")
    set(name "interop: ike-up ${s} ${direction}")
    add_test(NAME ${name} COMMAND ${interop_dir}/ike_up_vs_swan.sh $<TARGET_FILE:ike-up> ${s} ${direction} ${ikeup_index})
    set_tests_properties(${name} PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 90
                         ENVIRONMENT "IKE_BENCH=$<TARGET_FILE:ike-bench>")
  endforeach()
endforeach()
# Rekeys started by each side, with a steady ping across them (< 1% loss).
foreach(rekey child-by-swan child-by-ike-up ike-by-swan ike-by-ike-up)
  foreach(direction ike-up-initiates swan-initiates)
    math(EXPR ikeup_index "${ikeup_index} + 1")
    set(name "interop: ike-up rekey ${rekey} (${direction})")
    add_test(NAME ${name} COMMAND ${interop_dir}/ike_up_vs_swan.sh $<TARGET_FILE:ike-up>
             psk-aes256gcm16-ecp256 ${direction} ${ikeup_index} ${rekey})
    set_tests_properties(${name} PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 90
                         ENVIRONMENT "IKE_BENCH=$<TARGET_FILE:ike-bench>")
  endforeach()
endforeach()
foreach(s mismatch-proposal wrong-psk)
  foreach(direction ike-up-initiates swan-initiates)
    math(EXPR ikeup_index "${ikeup_index} + 1")
    set(name "interop: ike-up ${s} reports the evidence (${direction})")
    add_test(NAME ${name} COMMAND ${interop_dir}/ike_up_vs_swan.sh $<TARGET_FILE:ike-up> ${s} ${direction} ${ikeup_index})
    set_tests_properties(${name} PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 90
                         ENVIRONMENT "IKE_BENCH=$<TARGET_FILE:ike-bench>")
  endforeach()
endforeach()

# The README's main-job command: two ike-up instances, TUN data plane, ping through it.
add_test(NAME "interop: README tunnel demo (ike-up <-> ike-up)"
         COMMAND ${CMAKE_SOURCE_DIR}/scripts/demo.sh)
set_tests_properties("interop: README tunnel demo (ike-up <-> ike-up)" PROPERTIES
                     LABELS interop SKIP_RETURN_CODE 3 TIMEOUT 60
                     ENVIRONMENT "IKE_UP=$<TARGET_FILE:ike-up>")

# --dataplane xfrm|auto in a namespace: without kernel ESP xfrm exits 3 naming
# CONFIG_INET_ESP and auto starts TUN; with it both start XFRM on the runner's socket.
add_test(NAME "interop: ike-up --dataplane xfrm and auto pick what the kernel has"
         COMMAND ${interop_dir}/ike_up_dataplane.sh $<TARGET_FILE:ike-up>)
set_tests_properties("interop: ike-up --dataplane xfrm and auto pick what the kernel has" PROPERTIES
                     LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 30)

# Two peers whose Child SAs overlap in their selectors at one TUN responder: the second
# is refused and deleted, the first keeps its traffic (issue 11).
add_test(NAME "interop: ike-up refuses another peer's overlapping Child SA (TUN)"
         COMMAND ${interop_dir}/ike_up_overlap.sh $<TARGET_FILE:ike-up>)
set_tests_properties("interop: ike-up refuses another peer's overlapping Child SA (TUN)"
                     PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 60)

# Issue 13 building blocks: our EAP-MSCHAPv2 peer (lib/eap) through our RADIUS client
# (lib/radius, lib/io) against a real FreeRADIUS on loopback; skip 77 only without it.
add_executable(radius_eap_peer ${interop_dir}/radius_eap_peer.cpp)
target_link_libraries(radius_eap_peer PRIVATE ikekit_io ikekit_eap)
set_target_properties(radius_eap_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME "interop: EAP-MSCHAPv2 over RADIUS against FreeRADIUS"
         COMMAND ${interop_dir}/freeradius_eap.sh $<TARGET_FILE:radius_eap_peer>)
set_tests_properties("interop: EAP-MSCHAPv2 over RADIUS against FreeRADIUS" PROPERTIES
                     LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 60)
