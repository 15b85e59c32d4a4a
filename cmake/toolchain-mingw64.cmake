# Cross-builds filelock for 64-bit Windows with mingw-w64 (Debian: g++-mingw-w64-x86-64),
# running the tests under Wine (Debian: wine64):
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake \
#         -DFILELOCK_MINGW_PREFIX=<deps> -DFILELOCK_BUILD_BINDINGS=OFF
#   WINEPREFIX=$PWD/build-win/wine WINEDEBUG=-all ctest --test-dir build-win
# Checked: a DLL and an .exe using std::thread, std::mutex and std::condition_variable
# build with it and pass under CTest through Wine (the first Wine start in a fresh
# WINEPREFIX takes about a minute).
# scripts/windows-check.sh uses it, in a project of its own that also builds GoogleTest
# and cJSON from its upstream sources (scripts/fetch-cjson.sh): Debian ships neither
# for MinGW.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(FILELOCK_MINGW_TRIPLE x86_64-w64-mingw32)

# The "posix" thread model: GCC 12's "win32" model has no std::thread, std::mutex or
# std::condition_variable, which the lock engine's waiter uses.
set(CMAKE_C_COMPILER ${FILELOCK_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${FILELOCK_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${FILELOCK_MINGW_TRIPLE}-windres)

# Libraries and packages come only from the mingw sysroot (plus FILELOCK_MINGW_PREFIX,
# where cross-built cJSON and GoogleTest are installed), never from the host.
set(FILELOCK_MINGW_PREFIX "" CACHE PATH "Install prefix of cross-built dependencies")
set(CMAKE_FIND_ROOT_PATH /usr/${FILELOCK_MINGW_TRIPLE} ${FILELOCK_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The GCC runtime (libgcc, libstdc++, winpthread) is linked in, so filelock.dll and
# the test programs run without copying mingw's DLLs beside them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")

# CTest runs the .exe files through Wine.
find_program(FILELOCK_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(FILELOCK_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${FILELOCK_WINE})
endif()
