# Engine tests: two sans-I/O engines over a simulated network with virtual time.
file(GLOB engine_test_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
add_executable(engine_tests ${engine_test_srcs} $<TARGET_OBJECTS:ikekit_catch_main>)
target_link_libraries(engine_tests PRIVATE ikekit_sim ikekit_test_support Catch2::Catch2)
set_target_properties(engine_tests PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
ikekit_catch_tests(engine_tests "engine: ")
