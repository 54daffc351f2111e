# formation_add_plugin(NAME SOURCES src... [NO_INSTALL])
# Builds NAME.so the way the host expects: no "lib" prefix, hidden visibility, C++20,
# linked against the plugin API. In the Formation tree the library lands in
# ${FORMATION_PLUGIN_BUILD_DIR} and installs to ${FORMATION_PLUGIN_INSTALL_DIR}.
function(formation_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE formation::plugin_api)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON)
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  if(DEFINED FORMATION_PLUGIN_BUILD_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${FORMATION_PLUGIN_BUILD_DIR})
  endif()
  if(DEFINED FORMATION_PLUGIN_INSTALL_DIR AND NOT ARG_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${FORMATION_PLUGIN_INSTALL_DIR} COMPONENT runtime)
  endif()
endfunction()
