# Trees from json::parse hold nodes carved from blocks (core/json/node_blocks.hpp) that
# cJSON cannot free: only json::free_tree and json::replace free or replace them. This
# fails if the engine, the C API or the CLI calls cJSON's own replace or item-delete
# functions anywhere, or cJSON_Delete where json:: trees are in use (core/json, or a
# file naming json::). cJSON_Delete stays right for trees cJSON parsed or built itself.
# Usage: cmake -DSOURCE_DIR=<repo> -P parsed_trees_rule.cmake
file(GLOB_RECURSE sources
  ${SOURCE_DIR}/core/*.cpp ${SOURCE_DIR}/core/*.hpp
  ${SOURCE_DIR}/capi/*.cpp ${SOURCE_DIR}/capi/*.hpp
  ${SOURCE_DIR}/cli/*.cpp ${SOURCE_DIR}/cli/*.hpp)
set(broken "")
foreach(f IN LISTS sources)
  file(READ ${f} text)
  string(REGEX MATCH "cJSON_(Replace|DeleteItem)[A-Za-z]*\\(" call "${text}")
  if(NOT call AND (f MATCHES "/core/json/" OR text MATCHES "json::"))
    string(REGEX MATCH "cJSON_Delete\\(" call "${text}")
  endif()
  if(call)
    file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
    list(APPEND broken "${rel}: ${call}")
  endif()
endforeach()
if(broken)
  list(JOIN broken "\n  " lines)
  message(FATAL_ERROR "cJSON would free parsed nodes it cannot free (use json::free_tree / json::replace):\n  ${lines}")
endif()
list(LENGTH sources n)
message(STATUS "${n} files: no parsed tree reaches cJSON's own free")
