# I/O layer tests: unit_io finds its netlink vectors here; the privileged namespace
# tests (label interop) run as root in fresh network namespaces and SKIP (exit 77)
# elsewhere.
if(TARGET unit_io)
  target_compile_definitions(unit_io PRIVATE
    IKEKIT_IO_VECTORS="${CMAKE_CURRENT_SOURCE_DIR}/unit/io/vectors")
endif()
