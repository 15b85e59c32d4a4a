# Cross-builds filelock for macOS from Linux with Zig's clang, which carries macOS's
# C headers and libSystem stubs: no Apple SDK is needed. scripts/macos-check.sh sets it
# up (it fetches Zig from the npm registry and writes the compiler wrappers):
#   cmake -S . -B build-mac/out -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-zig-macos.cmake \
#         -DFILELOCK_ZIG_WRAPPERS=<dir with cc, c++, ar, ranlib> ...
# Programs built this way cannot run here; the check is that everything builds and links.
set(CMAKE_SYSTEM_NAME Darwin)
set(FILELOCK_ZIG_WRAPPERS "" CACHE PATH "Directory of the Zig compiler wrappers")
set(CMAKE_C_COMPILER ${FILELOCK_ZIG_WRAPPERS}/cc)
set(CMAKE_CXX_COMPILER ${FILELOCK_ZIG_WRAPPERS}/c++)
set(CMAKE_AR ${FILELOCK_ZIG_WRAPPERS}/ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${FILELOCK_ZIG_WRAPPERS}/ranlib CACHE FILEPATH "")
# try_compile re-reads this file in a fresh project: pass the wrappers on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FILELOCK_ZIG_WRAPPERS)

# Dependencies (cJSON built from its upstream sources, GoogleTest) come only from the
# given prefix.
set(CMAKE_FIND_ROOT_PATH ${FILELOCK_MACOS_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FILELOCK_MACOS_PREFIX)
