# The answering core, settings, automatic names and the plugin's lifecycle (against the
# real state-sqlite plugin, loaded the way formationd loads it), and custom-domain
# verification (against a real pdns_server with its bind backend).
add_executable(dns_powerdns_core_tests
  ${CMAKE_CURRENT_LIST_DIR}/region_table_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/settings_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/answers_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/verification_test.cpp)
target_link_libraries(dns_powerdns_core_tests PRIVATE dns_powerdns_core formation_fake_host
  formation_plugins formation_runtime GTest::gtest_main)
target_compile_definitions(dns_powerdns_core_tests PRIVATE
  PLUGIN_BUILD_DIR="${FORMATION_PLUGIN_BUILD_DIR}"
  FORMATION_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_dependencies(dns_powerdns_core_tests state-sqlite dns-powerdns)
# PdnsServerForTests starts pdns with the project's own scripts.
target_compile_definitions(dns_powerdns_core_tests PRIVATE
  PDNS_SUPPORT_DIR="${PROJECT_SOURCE_DIR}/test/support/pdns")
gtest_discover_tests(dns_powerdns_core_tests TEST_PREFIX "dns-powerdns.core."
                     PROPERTIES TIMEOUT 120)
