# 100 concurrent joins on two hosts sharing one PostgreSQL 15, which the fixture
# `mesh-postgres` starts (test/support/postgres/start-postgres) and stops by PID.
set(MESH_PG_SUPPORT ${PROJECT_SOURCE_DIR}/test/support/postgres)
set(MESH_PG_ENV_FILE ${CMAKE_CURRENT_BINARY_DIR}/postgres.env)
add_test(NAME mesh-wireguard.postgres.start
         COMMAND ${MESH_PG_SUPPORT}/start-postgres ${MESH_PG_ENV_FILE})
add_test(NAME mesh-wireguard.postgres.stop
         COMMAND ${MESH_PG_SUPPORT}/stop-postgres ${MESH_PG_ENV_FILE})
set_tests_properties(mesh-wireguard.postgres.start PROPERTIES
  FIXTURES_SETUP mesh-postgres TIMEOUT 300)
set_tests_properties(mesh-wireguard.postgres.stop PROPERTIES
  FIXTURES_CLEANUP mesh-postgres TIMEOUT 60)

add_executable(mesh_wireguard_postgres_tests ${CMAKE_CURRENT_LIST_DIR}/postgres_test.cpp)
target_link_libraries(mesh_wireguard_postgres_tests PRIVATE mesh_wireguard_core
  formation_fake_host formation_plugin_runtime GTest::gtest_main)
target_compile_definitions(mesh_wireguard_postgres_tests PRIVATE
  PLUGIN_BUILD_DIR="${FORMATION_PLUGIN_BUILD_DIR}" PG_ENV_FILE="${MESH_PG_ENV_FILE}")
add_dependencies(mesh_wireguard_postgres_tests state-postgres)
gtest_discover_tests(mesh_wireguard_postgres_tests TEST_PREFIX "mesh-wireguard.postgres."
  PROPERTIES FIXTURES_REQUIRED mesh-postgres TIMEOUT 120 LABELS integration)
