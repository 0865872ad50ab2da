# ike-decode against tshark: the committed strongSwan captures (label decode) and live
# strongSwan pairs in namespaces (label interop). Both need tshark; the live ones need
# root and strongSwan. They skip with a reason (exit 77) where those are missing.
set(decode_dir ${CMAKE_CURRENT_SOURCE_DIR}/decode)
set(data_dir ${CMAKE_CURRENT_SOURCE_DIR}/data)
set(scenarios psk-aes256gcm16-ecp256 psk-aes128-sha256-modp2048 psk-chacha20-x25519
              ecdsa-aes256gcm16-ecp256 rsa-aes256gcm16-ecp256 ed25519-aes256gcm16-ecp256)
set(index 0)
foreach(s ${scenarios})
  math(EXPR index "${index} + 1")
  set(extra "")
  if(s MATCHES chacha)
    set(extra --all-decrypted)
  endif()
  add_test(NAME "decode: ${s} agrees with tshark"
           COMMAND python3 ${decode_dir}/agree_with_tshark.py $<TARGET_FILE:ike-decode>
                   ${data_dir}/${s}/capture.pcap ${data_dir}/${s}/wireshark
                   --keys ${data_dir}/${s}/keys.jsonl ${extra})
  add_test(NAME "decode: ${s} Wireshark tables from --emit-wireshark"
           COMMAND ${decode_dir}/emit_wireshark_roundtrip.sh $<TARGET_FILE:ike-decode> ${data_dir}/${s})
  add_test(NAME "interop: live strongSwan ${s} decodes like tshark"
           COMMAND ${decode_dir}/live_strongswan_decode.sh $<TARGET_FILE:ike-decode> ${s} ${index})
  set_tests_properties("decode: ${s} agrees with tshark" "decode: ${s} Wireshark tables from --emit-wireshark"
                       PROPERTIES LABELS decode SKIP_RETURN_CODE 77)
  set_tests_properties("interop: live strongSwan ${s} decodes like tshark"
                       PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 120
                       ENVIRONMENT "IKE_BENCH=$<TARGET_FILE:ike-bench>")
endforeach()

# The same sessions re-wrapped (pcapng, loopback, SLL, IPv6, raw ESP, IP fragments) must
# decode like the originals; ike-decode's exit codes. Needs only python3.
foreach(s psk-chacha20-x25519 psk-aes256gcm16-ecp256 rsa-aes256gcm16-ecp256)
  add_test(NAME "decode: ${s} re-wrapped (pcapng, loopback, SLL, IPv6, raw ESP, fragments) and exit codes"
           COMMAND python3 ${decode_dir}/capture_variants.py $<TARGET_FILE:ike-decode> ${data_dir}/${s})
  set_tests_properties("decode: ${s} re-wrapped (pcapng, loopback, SLL, IPv6, raw ESP, fragments) and exit codes"
                       PROPERTIES LABELS decode)
endforeach()

# Issue 11: 40,000 fragments of one datagram are capped and counted, not re-sorted each time.
add_test(NAME "decode: a flood of IP fragments is capped and counted"
         COMMAND python3 ${decode_dir}/fragment_flood.py $<TARGET_FILE:ike-decode>)
set_tests_properties("decode: a flood of IP fragments is capped and counted" PROPERTIES LABELS decode)

# Issue 19: keys straight from charon's debug log, live strongSwan pairs (one per group,
# several scenarios each): PSK with Child and IKE SA rekeys and the decode-only transforms
# (AES-CCM, AES-CTR, 3DES); RSA certificates with IKE fragments and EAP-MSCHAPv2 with a
# virtual IP. Root, strongSwan and tshark, else skipped with the reason.
set(index 20)
foreach(group psk cert)
  math(EXPR index "${index} + 1")
  add_test(NAME "interop: ike-decode --keys charon.log (${group}) decrypts all, agrees with tshark"
           COMMAND ${decode_dir}/live_charon_log.sh $<TARGET_FILE:ike-decode> ${group} ${index})
  set_tests_properties("interop: ike-decode --keys charon.log (${group}) decrypts all, agrees with tshark"
                       PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 180)
endforeach()

# Issue 18: IKE and ESP over TCP (RFC 9329). tcp-encap-capture runs two engines in the
# engine tests' harness (handshake, Child SA rekey, ESP sealed by lib/esp) and lays the
# messages into one TCP connection (split frames, several per segment, a retransmission,
# an overlap, an out-of-order pair); ike-decode must decode it like the same messages over
# UDP, and agree with tshark's TCPENCAP dissector (skipped with the reason without tshark).
add_executable(tcp-encap-capture ${decode_dir}/tcp_encap_capture.cpp)
target_link_libraries(tcp-encap-capture PRIVATE ikekit_json ikekit_sim)
target_include_directories(tcp-encap-capture PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/engine)
set_target_properties(tcp-encap-capture PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME "decode: IKE and ESP over TCP (RFC 9329) decode like over UDP"
         COMMAND python3 ${decode_dir}/tcp_encap_decode.py $<TARGET_FILE:ike-decode>
                 $<TARGET_FILE:tcp-encap-capture>)
add_test(NAME "decode: IKE and ESP over TCP (RFC 9329) agree with tshark's TCPENCAP"
         COMMAND python3 ${decode_dir}/tcp_encap_decode.py $<TARGET_FILE:ike-decode>
                 $<TARGET_FILE:tcp-encap-capture> --tshark)
set_tests_properties("decode: IKE and ESP over TCP (RFC 9329) decode like over UDP"
                     "decode: IKE and ESP over TCP (RFC 9329) agree with tshark's TCPENCAP"
                     PROPERTIES LABELS decode SKIP_RETURN_CODE 77)

# Issue 14: an IKE SA that moves. tests/data/mobike-ike-up (two ike-up instances, made by
# tests/interop/make-mobike-capture.sh): the client moves into a NAT and out again
# (MOBIKE), plain ESP, then UDP-encapsulated, then plain again. ike-decode follows both
# moves, decrypts everything, says the move on every record after it, and agrees with
# tshark on every packet both decrypt; tshark decrypts the ESP behind the NAT only with
# wildcard addresses or ike-decode's --emit-wireshark rows. 3 s idle (11 s on a loaded machine).
add_test(NAME "decode: MOBIKE moves (ike-up out of a NAT and in again) followed, agrees with tshark"
         COMMAND python3 ${decode_dir}/mobike_decode.py $<TARGET_FILE:ike-decode>
                 ${data_dir}/mobike-ike-up)
set_tests_properties("decode: MOBIKE moves (ike-up out of a NAT and in again) followed, agrees with tshark"
                     PROPERTIES LABELS decode SKIP_RETURN_CODE 77)

# A charon log as the only keys, and an IKE SA that moves (a NAT mapping change) before
# the first ESP packet of a Child SA whose creation the capture lacks: the log's keys,
# matched at that packet by the SPI charon logged, follow the move (KeyStore::
# resolve_installed). tests/data/psk-aes256gcm16-ecp256 edited as test_sa_moves.cpp edits
# it; ike-decode decrypts all, and tshark with its --emit-wireshark tables agrees. ~2 s.
add_test(NAME "decode: charon-log keys matched after a move follow it, agrees with tshark"
         COMMAND python3 ${decode_dir}/charon_log_move.py $<TARGET_FILE:ike-decode>
                 ${data_dir}/psk-aes256gcm16-ecp256)
set_tests_properties("decode: charon-log keys matched after a move follow it, agrees with tshark"
                     PROPERTIES LABELS decode SKIP_RETURN_CODE 77)
