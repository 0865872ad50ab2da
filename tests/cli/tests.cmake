# What every tool shares (lib/cli): a closed stdout pipe gives EPIPE, never SIGPIPE.
if(TARGET ike-decode AND TARGET esp-tunnel AND TARGET ikectl AND TARGET ike-up)
  add_test(NAME "cli: every tool survives a closed stdout (SIGPIPE ignored)"
           COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/sigpipe_test.py
                   $<TARGET_FILE_DIR:ike-decode>
                   ${CMAKE_CURRENT_SOURCE_DIR}/data/psk-aes256gcm16-ecp256/capture.pcap
                   ${CMAKE_CURRENT_SOURCE_DIR}/data/psk-aes256gcm16-ecp256/keys.jsonl)
  set_tests_properties("cli: every tool survives a closed stdout (SIGPIPE ignored)"
                       PROPERTIES LABELS unit)
endif()
