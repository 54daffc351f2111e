# dns-powerdns against a real pdns_server 4.7 (issue 6, parts 3 and 4): formationd with the
# plugin, `form` for every change, dig for every answer, both connectors (unix socket and
# HTTP, post=yes,post_json=yes). The script starts and stops everything itself (test/support/pdns), on
# free 127.0.0.1 ports; it skips (77) when pdns_server, its remote or bind backend, dig or
# qemu-img is missing. Label `integration`; about 40 s. (`form` is defined later, in tools/:
# generator expressions resolve it at generate time, `if(TARGET form)` here could not.)
add_test(NAME dns-powerdns.integration.pdns
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/pdns_integration_test.sh
                 $<TARGET_FILE:formationd> $<TARGET_FILE:form> ${FORMATION_PLUGIN_BUILD_DIR}
                 ${PROJECT_SOURCE_DIR}/test/support/pdns
                 ${CMAKE_CURRENT_BINARY_DIR}/integration-pdns)
set_tests_properties(dns-powerdns.integration.pdns PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 180 LABELS "integration;dns")
