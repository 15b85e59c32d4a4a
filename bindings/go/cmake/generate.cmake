# Runs SWIG over bindings/swig/go.i into OUT_DIR (native.go, native_wrap.c). Run from the
# interface folder with a relative input, so the generated files name no local path.
#   cmake -DSWIG=swig -DSWIG_DIR=<bindings/swig> -DOUT_DIR=<dir> -P generate.cmake
# With -DCHECK_DIR=<dir>, fails unless OUT_DIR's files equal CHECK_DIR's (the committed
# output is current).
file(MAKE_DIRECTORY ${OUT_DIR})
execute_process(
  COMMAND ${SWIG} -go -cgo -intgosize 64 -o ${OUT_DIR}/native_wrap.c -outdir ${OUT_DIR} go.i
  WORKING_DIRECTORY ${SWIG_DIR}
  RESULT_VARIABLE swig_result)
if(NOT swig_result EQUAL 0)
  message(FATAL_ERROR "swig failed on go.i (exit ${swig_result})")
endif()
if(DEFINED CHECK_DIR)
  foreach(name native.go native_wrap.c)
    file(READ ${OUT_DIR}/${name} fresh)
    file(READ ${CHECK_DIR}/${name} committed)
    if(NOT fresh STREQUAL committed)
      message(FATAL_ERROR "${CHECK_DIR}/${name} is out of date: "
                          "rebuild the target filelock_go_generate and commit the result")
    endif()
  endforeach()
endif()
