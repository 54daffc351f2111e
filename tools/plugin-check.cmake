add_executable(formation-plugin-check formation-plugin-check/main.cpp)
target_link_libraries(formation-plugin-check PRIVATE formation_plugins formation_runtime
  formation_http formation_conformance Boost::program_options)
install(TARGETS formation-plugin-check RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dev)
