# The remote-backend protocol and its two connectors: reply shapes and malformed input
# (remote_protocol_test), real sockets (unix_connector_test, http_connector_test), and a
# real pdns_server 4.7 queried with dig through each connector (pdns_wire_test).
add_executable(dns_powerdns_protocol_tests
  remote_protocol_test.cpp
  unix_connector_test.cpp
  http_connector_test.cpp
  pdns_wire_test.cpp)
target_link_libraries(dns_powerdns_protocol_tests PRIVATE
  dns_powerdns_core formation_fake_host formation_test_support GTest::gtest_main)
# PdnsServerForTests starts pdns with the project's own scripts.
target_compile_definitions(dns_powerdns_protocol_tests PRIVATE
  PDNS_SUPPORT_DIR="${PROJECT_SOURCE_DIR}/test/support/pdns")
gtest_discover_tests(dns_powerdns_protocol_tests TEST_PREFIX "dns-powerdns."
  PROPERTIES TIMEOUT 120)
