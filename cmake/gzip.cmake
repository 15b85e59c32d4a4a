# filelock_install_gzipped(SOURCE DESTINATION COMPONENT): installs SOURCE compressed as
# Debian wants man pages and changelogs: `gzip -9n` (no name, no time stamp, so the
# file is the same from build to build).
find_program(FILELOCK_GZIP gzip)
function(filelock_install_gzipped source destination component)
  get_filename_component(name "${source}" NAME)
  string(MAKE_C_IDENTIFIER "${destination}/${name}" id)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/gzipped/${id})
  if(NOT FILELOCK_GZIP)
    message(STATUS "gzip not found: ${name} is installed uncompressed")
    install(FILES "${source}" DESTINATION "${destination}" COMPONENT ${component})
    return()
  endif()
  add_custom_command(
    OUTPUT ${dir}/${name}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${CMAKE_COMMAND} -E copy "${source}" ${dir}/${name}
    COMMAND ${FILELOCK_GZIP} -9nf ${dir}/${name}
    DEPENDS "${source}"
    VERBATIM)
  add_custom_target(gzip_${id} ALL DEPENDS ${dir}/${name}.gz)
  install(FILES ${dir}/${name}.gz DESTINATION "${destination}" COMPONENT ${component})
endfunction()
