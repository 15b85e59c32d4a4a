# Writes a copy of the Filelock NuGet package without its libfilelock.so.1, for the
# system's local feed: there the binding loads the system's libfilelock.so.1, which the
# distribution updates, instead of a private copy frozen into every application.
# The SWIG glue stays in the package (it belongs to the binding, not to the library).
#   cmake -DIN=Filelock.1.4.0.nupkg -DOUT=feed/Filelock.1.4.0.nupkg -DWORK=dir -P nupkg_without_core.cmake
foreach(var IN ITEMS IN OUT WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "nupkg_without_core: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS "${IN}")
  message(FATAL_ERROR "nupkg_without_core: cannot read ${IN}: no such file")
endif()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(ARCHIVE_EXTRACT INPUT "${IN}" DESTINATION "${WORK}")
file(GLOB core_copies "${WORK}/runtimes/*/native/libfilelock.so*")
if(NOT core_copies)
  message(FATAL_ERROR "nupkg_without_core: ${IN} carries no runtimes/*/native/libfilelock.so.1")
endif()
file(REMOVE ${core_copies})

file(GLOB_RECURSE entries RELATIVE "${WORK}" "${WORK}/*")
list(SORT entries)
get_filename_component(out_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
# Written beside OUT and renamed, so a failed run never leaves a truncated package.
# A fixed time keeps the package identical from build to build.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E tar cf "${OUT}.tmp" --format=zip "--mtime=2000-01-01 00:00:00 UTC"
          -- ${entries}
  WORKING_DIRECTORY "${WORK}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "nupkg_without_core: writing ${OUT}.tmp failed: ${result}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
file(REMOVE_RECURSE "${WORK}")
