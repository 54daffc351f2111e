# Keys (RFC 7748 vectors, `wg pubkey`), parsers, settings, visibility, the wg diff, and the
# plugin's allocation and joins against the real state-sqlite plugin, loaded the way
# formationd loads it.
add_executable(mesh_wireguard_unit_tests
  ${CMAKE_CURRENT_LIST_DIR}/keys_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parse_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/settings_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/visibility_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/diff_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_test.cpp)
target_link_libraries(mesh_wireguard_unit_tests PRIVATE mesh_wireguard_core formation_fake_host
  formation_plugin_runtime GTest::gtest_main)
target_compile_definitions(mesh_wireguard_unit_tests PRIVATE
  PLUGIN_BUILD_DIR="${FORMATION_PLUGIN_BUILD_DIR}")
add_dependencies(mesh_wireguard_unit_tests state-sqlite mesh-wireguard)
gtest_discover_tests(mesh_wireguard_unit_tests TEST_PREFIX "mesh-wireguard.unit."
                     PROPERTIES TIMEOUT 120)
