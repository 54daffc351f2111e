# The node's interface for real: wireguard-go in a network namespace the test makes and
# removes itself (needs root; skipped otherwise). Serialised: wireguard-go's UAPI sockets
# live in one global directory.
add_executable(mesh_wireguard_interface_tests ${CMAKE_CURRENT_LIST_DIR}/interface_test.cpp)
target_link_libraries(mesh_wireguard_interface_tests PRIVATE mesh_wireguard_core
  formation_fake_host formation_plugin_runtime GTest::gtest_main)
target_compile_definitions(mesh_wireguard_interface_tests PRIVATE
  PLUGIN_BUILD_DIR="${FORMATION_PLUGIN_BUILD_DIR}")
add_dependencies(mesh_wireguard_interface_tests state-sqlite)
gtest_discover_tests(mesh_wireguard_interface_tests TEST_PREFIX "mesh-wireguard.interface."
                     PROPERTIES TIMEOUT 120 RESOURCE_LOCK wireguard-netns LABELS integration)
